// GET /_gateway/admin/identities: identities a page at a time by id, or the one with an `externalId` (docs/identities.md).
import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { database } from "../db/client";
import type { GatewayEnv } from "../env";
import { adminErrors } from "../gateway/schemas";
import { listIdentityRows } from "../identities/store";
import { requireScope } from "./auth";
import { decodeCursor, encodeCursor } from "./cursor";
import { IdentitySchema, toIdentityObject } from "./identity-object";
import { nextCursor, pageCursor, pageLimit } from "./params";

export const listIdentitiesRoute = createRoute({
  method: "get",
  path: "/admin/identities",
  operationId: "listIdentities",
  tags: ["Identities"],
  summary: "List identities",
  description: "Identities in a stable order (by id), a page at a time; `externalId` finds the one with your id.",
  ...requireScope("keys:read"),
  request: {
    query: z.object({
      externalId: z
        .string()
        .min(1)
        .max(200)
        .optional()
        .openapi({ param: { name: "externalId", in: "query" }, description: "Only the identity with this `externalId`." }),
      limit: pageLimit,
      cursor: pageCursor,
    }),
  },
  responses: {
    200: {
      description: "A page of identities",
      content: { "application/json": { schema: z.object({ items: z.array(IdentitySchema), nextCursor }).openapi("IdentityPage") } },
    },
    ...adminErrors,
  },
});

export const listIdentities: RouteHandler<typeof listIdentitiesRoute, GatewayEnv> = async (c) => {
  const { externalId, limit, cursor } = c.req.valid("query");
  const page = await listIdentityRows(database(c.env.DB), {
    limit,
    ...(externalId !== undefined && { externalId }),
    ...(cursor !== undefined && { afterId: decodeCursor(cursor, "string") }),
  });
  return c.json({ items: page.rows.map(toIdentityObject), nextCursor: page.lastId === undefined ? null : encodeCursor(page.lastId) }, 200);
};
