// GET /_gateway/admin/plans/{id}: one plan (docs/plans.md); also the 404 its sibling routes share.
import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { database } from "../db/client";
import type { GatewayEnv } from "../env";
import { GatewayError } from "../errors";
import { adminErrors, problem } from "../gateway/schemas";
import { getPlanRow } from "../plans/store";
import { requireScope } from "./auth";
import { PlanIdParam, PlanSchema, toPlanObject } from "./plan-object";

export const noPlanError = { 404: problem("No plan with that id.") } as const;

export const noPlan = (id: string) => new GatewayError("not_found", `No plan with id ${id}.`);

export const getPlanRoute = createRoute({
  method: "get",
  path: "/admin/plans/{id}",
  operationId: "getPlan",
  tags: ["Plans"],
  summary: "Get a plan",
  ...requireScope("keys:read"),
  request: { params: PlanIdParam },
  responses: {
    200: { description: "The plan", content: { "application/json": { schema: PlanSchema } } },
    ...noPlanError,
    ...adminErrors,
  },
});

export const getPlan: RouteHandler<typeof getPlanRoute, GatewayEnv> = async (c) => {
  const { id } = c.req.valid("param");
  const row = await getPlanRow(database(c.env.DB), id);
  if (!row) throw noPlan(id);
  return c.json(toPlanObject(row), 200);
};
