// GET /_gateway/admin/keys: the key list, filtered, searched and sorted on the server, a page at a
// time behind a cursor that keeps its place in the chosen order (docs/keys.md "Listing keys").
import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { database } from "../db/client";
import type { GatewayEnv } from "../env";
import { GatewayError } from "../errors";
import { adminErrors } from "../gateway/schemas";
import { KEY_SORTS, type KeyListPosition, type KeySort, positionOf } from "../keys/list-order";
import { KEY_LIST_STATUSES, listKeyRows } from "../keys/store";
import { requireScope } from "./auth";
import { decodeCursor, decodeCursorAs, encodeCursor } from "./cursor";
import { KeyObjectSchema, toKeyObject } from "./key-object";
import { nextCursor, pageCursor, pageLimit } from "./params";

export const listKeysRoute = createRoute({
  method: "get",
  path: "/admin/keys",
  operationId: "listKeys",
  tags: ["Keys"],
  summary: "List keys",
  description:
    "Keys in a stable order (by id, or as `sort` says), a page at a time, optionally of one owner, identity or status, or matching a search (`q`); the filters combine. Revoked keys are included unless `status` leaves them out.",
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
      sort: z
        .enum(KEY_SORTS)
        .optional()
        .openapi({
          param: { name: "sort", in: "query" },
          description:
            "Order: a field ascending, or descending with a leading `-` (`-createdAt`: newest first). Names ignore ASCII case; keys without an expiry or never used come last either way; ties go by id. Default: by id. A `cursor` continues only the order it came from.",
          example: "-createdAt",
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

/** A sorted list's cursor: the order it belongs to and where its page ended. */
const SortedCursor = z.object({ sort: z.enum(KEY_SORTS), value: z.union([z.string(), z.number(), z.null()]), id: z.string() });

function sortedPosition(cursor: string, sort: KeySort): KeyListPosition {
  const decoded = decodeCursorAs(cursor, SortedCursor);
  if (decoded.sort !== sort) throw new GatewayError("invalid_request", "cursor: from a list in another order; start again without it");
  return { value: decoded.value, id: decoded.id };
}

export const listKeys: RouteHandler<typeof listKeysRoute, GatewayEnv> = async (c) => {
  const { owner, identityId, status, q, sort, limit, cursor } = c.req.valid("query");
  const page = await listKeyRows(database(c.env.DB), {
    limit,
    ...(owner !== undefined && { owner }),
    ...(identityId !== undefined && { identityId }),
    ...(status !== undefined && { status }),
    ...(q !== undefined && { search: q }),
    ...(sort !== undefined && { sort }),
    ...(cursor !== undefined &&
      (sort === undefined ? { afterId: decodeCursor(cursor, "string") } : { after: sortedPosition(cursor, sort) })),
  });
  const last = page.lastId === undefined ? undefined : page.keys.at(-1);
  return c.json(
    {
      items: page.keys.map((key) => toKeyObject(key, page.secrets.get(key.id) ?? [])),
      nextCursor: last === undefined ? null : encodeCursor(sort === undefined ? last.id : { sort, ...positionOf(last, sort) }),
    },
    200,
  );
};
