// GET /_gateway/admin/operators: operator tokens a page at a time, revoked ones included, tokens and hashes never (docs/operators.md).
import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { database } from "../db/client";
import type { GatewayEnv } from "../env";
import { adminErrors } from "../gateway/schemas";
import { listOperatorRows } from "../operators/store";
import { requireScope } from "./auth";
import { decodeCursor, encodeCursor } from "./cursor";
import { OperatorSchema, toOperatorObject } from "./operator-object";
import { nextCursor, pageCursor, pageLimit } from "./params";

export const listOperatorsRoute = createRoute({
  method: "get",
  path: "/admin/operators",
  operationId: "listOperators",
  tags: ["Operators"],
  summary: "List operator tokens",
  description: "Operator tokens in a stable order (by id), a page at a time. Revoked tokens are included; tokens and hashes never are.",
  ...requireScope("operators:write"),
  request: { query: z.object({ limit: pageLimit, cursor: pageCursor }) },
  responses: {
    200: {
      description: "A page of operator tokens",
      content: { "application/json": { schema: z.object({ items: z.array(OperatorSchema), nextCursor }).openapi("OperatorPage") } },
    },
    ...adminErrors,
  },
});

export const listOperators: RouteHandler<typeof listOperatorsRoute, GatewayEnv> = async (c) => {
  const { limit, cursor } = c.req.valid("query");
  const page = await listOperatorRows(database(c.env.DB), {
    limit,
    ...(cursor !== undefined && { afterId: decodeCursor(cursor, "string") }),
  });
  return c.json({ items: page.rows.map(toOperatorObject), nextCursor: page.lastId === undefined ? null : encodeCursor(page.lastId) }, 200);
};
