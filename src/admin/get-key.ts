// GET /_gateway/admin/keys/{id}: one key as the admin API shows it, never its secret or hash (docs/keys.md § List and look up keys).
import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { database } from "../db/client";
import type { GatewayEnv } from "../env";
import { GatewayError } from "../errors";
import { adminErrors, notFoundError } from "../gateway/schemas";
import { getKeyRow, getSecrets } from "../keys/store";
import { requireScope } from "./auth";
import { KeyObjectSchema, toKeyObject } from "./key-object";
import { KeyIdParam } from "./params";

export const getKeyRoute = createRoute({
  method: "get",
  path: "/admin/keys/{id}",
  operationId: "getKey",
  tags: ["Keys"],
  summary: "Get a key",
  ...requireScope("keys:read"),
  request: { params: KeyIdParam },
  responses: {
    200: { description: "The key", content: { "application/json": { schema: KeyObjectSchema } } },
    ...notFoundError,
    ...adminErrors,
  },
});

export const getKey: RouteHandler<typeof getKeyRoute, GatewayEnv> = async (c) => {
  const { id } = c.req.valid("param");
  const db = database(c.env.DB);
  const [key, secrets] = await Promise.all([getKeyRow(db, id), getSecrets(db, id)]);
  if (!key) throw new GatewayError("not_found", `No key with id ${id}.`);
  return c.json(toKeyObject(key, secrets), 200);
};
