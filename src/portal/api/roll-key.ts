// POST /_gateway/portal/api/keys/:id/roll: a new secret for one of the customer's keys, the old one
// expiring after the chosen time (Stripe's "roll key"); the admin rotate's code path.
import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { CreatedKeySchema } from "../../admin/key-object";
import { KeyIdParam } from "../../admin/params";
import { rotateSecret } from "../../admin/rotate-key";
import type { PortalEnv } from "../../env";
import { problem } from "../../gateway/schemas";
import { customerActor } from "../customers";
import { ownKey } from "./customer";
import { portalErrors, portalNotFound, portalSecurity } from "./schemas";

const MAX_EXPIRES_IN_SECONDS = 30 * 24 * 3600;

export const RollKeyBody = z
  .object({
    expiresInSeconds: z
      .number()
      .int()
      .min(0)
      .max(MAX_EXPIRES_IN_SECONDS)
      .openapi({ description: "When the old secret stops working: 0 now, at most 30 days.", example: 3600 }),
  })
  .strict()
  .openapi("PortalRollKey");

export const rollKeyRoute = createRoute({
  method: "post",
  path: "/keys/{id}/roll",
  operationId: "rollPortalKey",
  tags: ["Portal"],
  summary: "Roll one of your keys",
  description: "A new secret for the same key (limits and usage carry over); the old secret expires `expiresInSeconds` from now.",
  security: portalSecurity,
  request: { params: KeyIdParam, body: { required: true, content: { "application/json": { schema: RollKeyBody } } } },
  responses: {
    201: { description: "The key with its new secret", content: { "application/json": { schema: CreatedKeySchema } } },
    ...portalNotFound,
    409: problem("The key is revoked."),
    ...portalErrors,
  },
});

export const rollKey: RouteHandler<typeof rollKeyRoute, PortalEnv> = async (c) => {
  const key = await ownKey(c, c.req.valid("param").id);
  return c.json(await rotateSecret(c, key, c.req.valid("json").expiresInSeconds, customerActor(c.get("customer").identityId)), 201);
};
