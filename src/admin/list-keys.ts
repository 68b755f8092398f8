import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { database } from "../db/client";
import type { GatewayEnv } from "../env";
import { adminErrors } from "../gateway/schemas";
import { KEY_LIST_STATUSES, listKeyRows } from "../keys/store";
import { requireScope } from "./auth";
import { decodeCursor, encodeCursor } from "./cursor";
import { KeyObjectSchema, toKeyObject } from "./key-object";
import { nextCursor, pageCursor, pageLimit } from "./params";

export const listKeysRoute = createRoute({
  method: "get",
  path: "/admin/keys",
  operationId: "listKeys",
  tags: ["Keys"],
  summary: "List keys",
  description:
    "Keys in a stable order (by id), a page at a time, optionally of one owner, identity or status, or matching a search (`q`). Revoked keys are included unless `status` leaves them out.",
  ...requireScope("keys:read"),
  request: {
    query: z.object({
      owner: z
        .string()
        .min(1)
        .max(200)
        .optional()
        .openapi({ param: { name: "owner", in: "query" }, description: "Only keys of this owner." }),
      identityId: z
        .string()
        .min(1)
        .max(64)
        .optional()
        .openapi({ param: { name: "identityId", in: "query" }, description: "Only keys of this identity." }),
      status: z
        .enum(KEY_LIST_STATUSES)
        .optional()
        .openapi({
          param: { name: "status", in: "query" },
          description: "Only keys with this status now: `revoked`, else `expired`, else `disabled`, else `active`.",
        }),
      q: z
        .string()
        .min(1)
        .max(200)
        .optional()
        .openapi({
          param: { name: "q", in: "query" },
          description: "Only keys whose name, owner, id or displayed `start` contains this text (ASCII letters in any case).",
        }),
      limit: pageLimit,
      cursor: pageCursor,
    }),
  },
  responses: {
    200: {
      description: "A page of keys",
      content: { "application/json": { schema: z.object({ items: z.array(KeyObjectSchema), nextCursor }).openapi("KeyPage") } },
    },
    ...adminErrors,
  },
});

export const listKeys: RouteHandler<typeof listKeysRoute, GatewayEnv> = async (c) => {
  const { owner, identityId, status, q, limit, cursor } = c.req.valid("query");
  const page = await listKeyRows(database(c.env.DB), {
    limit,
    ...(owner !== undefined && { owner }),
    ...(identityId !== undefined && { identityId }),
    ...(status !== undefined && { status }),
    ...(q !== undefined && { search: q }),
    ...(cursor !== undefined && { afterId: decodeCursor(cursor, "string") }),
  });
  return c.json(
    {
      items: page.keys.map((key) => toKeyObject(key, page.secrets.get(key.id) ?? [])),
      nextCursor: page.lastId === undefined ? null : encodeCursor(page.lastId),
    },
    200,
  );
};
