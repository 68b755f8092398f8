// GET /_gateway/admin/plans: plans a page at a time, in id order (docs/plans.md).
import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { database } from "../db/client";
import type { GatewayEnv } from "../env";
import { adminErrors } from "../gateway/schemas";
import { listPlanRows } from "../plans/store";
import { requireScope } from "./auth";
import { decodeCursor, encodeCursor } from "./cursor";
import { nextCursor, pageCursor, pageLimit } from "./params";
import { PlanSchema, toPlanObject } from "./plan-object";

export const listPlansRoute = createRoute({
  method: "get",
  path: "/admin/plans",
  operationId: "listPlans",
  tags: ["Plans"],
  summary: "List plans",
  description: "Plans in a stable order (by id), a page at a time.",
  ...requireScope("keys:read"),
  request: { query: z.object({ limit: pageLimit, cursor: pageCursor }) },
  responses: {
    200: {
      description: "A page of plans",
      content: { "application/json": { schema: z.object({ items: z.array(PlanSchema), nextCursor }).openapi("PlanPage") } },
    },
    ...adminErrors,
  },
});

export const listPlans: RouteHandler<typeof listPlansRoute, GatewayEnv> = async (c) => {
  const { limit, cursor } = c.req.valid("query");
  const page = await listPlanRows(database(c.env.DB), {
    limit,
    ...(cursor !== undefined && { afterId: decodeCursor(cursor, "string") }),
  });
  return c.json({ items: page.rows.map(toPlanObject), nextCursor: page.lastId === undefined ? null : encodeCursor(page.lastId) }, 200);
};
