// DELETE /_gateway/portal/api/keys/:id: revokes one of the customer's keys, everywhere within the
// lease bound (the admin revoke's code path, which tells the key's object).
import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { KeyIdParam } from "../../admin/params";
import { revokeAndPublish } from "../../admin/revoke-key";
import type { PortalEnv } from "../../env";
import { customerActor } from "../customers";
import { ownKey } from "./customer";
import { portalErrors, portalNotFound, portalSecurity } from "./schemas";

export const revokeKeyRoute = createRoute({
  method: "delete",
  path: "/keys/{id}",
  operationId: "revokePortalKey",
  tags: ["Portal"],
  summary: "Revoke one of your keys",
  description: "Refused from the next request on, everywhere within `LEASE_TTL_MS`. Revoking twice is harmless.",
  security: portalSecurity,
  request: { params: KeyIdParam },
  responses: {
    204: { description: "Revoked" },
    ...portalNotFound,
    ...portalErrors,
  },
});

export const revokeKey: RouteHandler<typeof revokeKeyRoute, PortalEnv> = async (c) => {
  const key = await ownKey(c, c.req.valid("param").id);
  await revokeAndPublish(c, key, customerActor(c.get("customer").identityId));
  return c.body(null, 204);
};
