// POST /_gateway/admin/plans: creates a plan, a named tier of limits, quota, scopes and key counts (docs/plans.md).
import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { database } from "../db/client";
import type { GatewayEnv } from "../env";
import { GatewayError } from "../errors";
import { adminErrors, bodyErrors, problem } from "../gateway/schemas";
import { newId } from "../keys/format";
import { insertPlan, type PlanRow } from "../plans/store";
import { auditEntry } from "./audit";
import { auditActor, requireScope } from "./auth";
import { CreatePlanBody, PlanSchema, toPlanObject } from "./plan-object";

export const createPlanRoute = createRoute({
  method: "post",
  path: "/admin/plans",
  operationId: "createPlan",
  tags: ["Plans"],
  summary: "Create a plan",
  description:
    "A named tier: identities on it (`planId`) take its `rateLimits` and `quota` where they set none of their own; the customers' portal holds them to `allowedScopes` and `maxKeys`.",
  ...requireScope("keys:write"),
  request: { body: { required: true, content: { "application/json": { schema: CreatePlanBody } } } },
  responses: {
    201: { description: "Created", content: { "application/json": { schema: PlanSchema } } },
    409: problem("Another plan has this name."),
    ...bodyErrors,
    ...adminErrors,
    ...bodyErrors,
  },
});

export const nameTaken = (name: string) => new GatewayError("conflict", `A plan named ${JSON.stringify(name)} exists already.`);

export const createPlan: RouteHandler<typeof createPlanRoute, GatewayEnv> = async (c) => {
  const body = c.req.valid("json");
  const now = Date.now();
  const row: PlanRow = {
    id: newId("pln"),
    name: body.name,
    rateLimits: body.rateLimits ?? [],
    quota: body.quota ?? null,
    allowedScopes: body.allowedScopes ?? null,
    maxKeys: body.maxKeys ?? null,
    createdAt: now,
    updatedAt: now,
  };
  const plan = toPlanObject(row);
  const { id, createdAt, updatedAt, ...fields } = plan;
  const audit = auditEntry("plan.create", null, { planId: id, ...fields }, now, auditActor(c));
  if (!(await insertPlan(database(c.env.DB), row, audit))) throw nameTaken(body.name);
  return c.json(plan, 201);
};
