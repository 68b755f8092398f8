// GET /_gateway/portal/api/keys: the signed-in customer's keys, and no one else's.
import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { KeyObjectSchema, toKeyObject } from "../../admin/key-object";
import type { PortalEnv } from "../../env";
import { identityKeys } from "./customer";
import { portalErrors, portalSecurity } from "./schemas";

export const listKeysRoute = createRoute({
  method: "get",
  path: "/keys",
  operationId: "listPortalKeys",
  tags: ["Portal"],
  summary: "Your keys",
  description: "Every key of the signed-in customer, revoked ones included, oldest first.",
  security: portalSecurity,
  responses: {
    200: {
      description: "The customer's keys",
      content: { "application/json": { schema: z.object({ items: z.array(KeyObjectSchema) }).openapi("PortalKeyList") } },
    },
    401: portalErrors[401],
  },
});

export const listKeys: RouteHandler<typeof listKeysRoute, PortalEnv> = async (c) => {
  const keys = await identityKeys(c, c.get("customer").identityId);
  return c.json({ items: keys.map(({ key, secrets }) => toKeyObject(key, secrets)) }, 200);
};
