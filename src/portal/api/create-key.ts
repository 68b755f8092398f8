// POST /_gateway/portal/api/keys: a customer creates a key of their own identity, within their plan
// (its allowed scopes and its number of live keys). It works on the proxy at once.
import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { insertNewKey } from "../../admin/create-key";
import { CreatedKeySchema, keyFields } from "../../admin/key-object";
import type { PortalEnv } from "../../env";
import { GatewayError } from "../../errors";
import { problem } from "../../gateway/schemas";
import { customerActor } from "../customers";
import { identityKeys } from "./customer";
import { customerIdentity } from "./limits";
import { portalErrors, portalSecurity } from "./schemas";

export const PortalCreateKeyBody = z
  .object({
    name: keyFields.name,
    scopes: keyFields.scopes.optional().openapi({ description: "Each must be among the plan's `allowedScopes` (when it lists any)." }),
    expiresAt: keyFields.expiresAt.refine((value) => Date.parse(value) > Date.now(), "must be in the future").optional(),
  })
  .strict()
  .openapi("PortalCreateKey");

export const createKeyRoute = createRoute({
  method: "post",
  path: "/keys",
  operationId: "createPortalKey",
  tags: ["Portal"],
  summary: "Create a key",
  description:
    "A key of the signed-in customer's identity, sharing its plan's limits and quota; usable at once. The plaintext is in this response only.",
  security: portalSecurity,
  request: { body: { required: true, content: { "application/json": { schema: PortalCreateKeyBody } } } },
  responses: {
    201: { description: "Created", content: { "application/json": { schema: CreatedKeySchema } } },
    ...portalErrors,
    403: problem("A scope outside the plan's `allowedScopes` (`insufficient_scope`), or a cross-site write (`cross_site_request`)."),
    409: problem("The customer already holds the plan's `maxKeys` live keys (`conflict`)."),
  },
});

/** A key counts against `maxKeys` until it is revoked or has expired. */
const isLive = (key: { revokedAt: number | null; expiresAt: number | null }, now: number) =>
  key.revokedAt === null && (key.expiresAt === null || key.expiresAt > now);

export const createKey: RouteHandler<typeof createKeyRoute, PortalEnv> = async (c) => {
  const body = c.req.valid("json");
  const customer = c.get("customer");
  const { plan } = await customerIdentity(c);
  const scopes = body.scopes ?? [];
  if (plan?.allowedScopes) {
    const outside = scopes.filter((scope) => !plan.allowedScopes?.includes(scope));
    if (outside.length > 0) {
      throw new GatewayError("insufficient_scope", `Your plan ${plan.name} does not allow the scopes ${outside.join(", ")}.`);
    }
  }
  if (plan?.maxKeys != null) {
    const now = Date.now();
    const live = (await identityKeys(c, customer.identityId)).filter(({ key }) => isLive(key, now)).length;
    if (live >= plan.maxKeys) {
      throw new GatewayError("conflict", `Your plan ${plan.name} allows ${plan.maxKeys} live keys; revoke one first.`);
    }
  }
  const created = await insertNewKey(
    c,
    // The provider's `sub` as owner: the upstream learns whose key it is (X-Gateway-Key-Owner).
    {
      name: body.name,
      owner: customer.subject,
      scopes,
      ...(body.expiresAt && { expiresAt: body.expiresAt }),
      identityId: customer.identityId,
    },
    c.get("config").keyPrefix,
    customerActor(customer.identityId),
  );
  return c.json(created, 201);
};
