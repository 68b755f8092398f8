// GET /_gateway/portal/api/keys/:id: one of the customer's keys; another customer's is 404.
import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { KeyObjectSchema, toKeyObject } from "../../admin/key-object";
import { KeyIdParam } from "../../admin/params";
import { database } from "../../db/client";
import type { PortalEnv } from "../../env";
import { getSecrets } from "../../keys/store";
import { ownKey } from "./customer";
import { portalErrors, portalNotFound, portalSecurity } from "./schemas";

export const getKeyRoute = createRoute({
  method: "get",
  path: "/keys/{id}",
  operationId: "getPortalKey",
  tags: ["Portal"],
  summary: "One of your keys",
  security: portalSecurity,
  request: { params: KeyIdParam },
  responses: {
    200: { description: "The key", content: { "application/json": { schema: KeyObjectSchema } } },
    ...portalNotFound,
    401: portalErrors[401],
  },
});

export const getKey: RouteHandler<typeof getKeyRoute, PortalEnv> = async (c) => {
  const key = await ownKey(c, c.req.valid("param").id);
  return c.json(toKeyObject(key, await getSecrets(database(c.env.DB), key.id)), 200);
};
