// POST /admin/webhooks/{id}/rotate-secret: a new signing secret, the old one still signing beside it for an overlap (docs/webhooks.md § Rotating the secret).
import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { database } from "../db/client";
import type { GatewayEnv } from "../env";
import { GatewayError } from "../errors";
import { adminErrors, bodyErrors, notFoundError } from "../gateway/schemas";
import { newSigningSecret } from "../webhooks/signing";
import { rotateWebhookSecret as storeRotation } from "../webhooks/store";
import { auditEntry } from "./audit";
import { auditActor, requireScope } from "./auth";
import { CreatedWebhookSchema, toWebhookObject, WebhookIdParam } from "./webhook-object";

export const DEFAULT_SECRET_OVERLAP_SECONDS = 86_400;
const MAX_SECRET_OVERLAP_SECONDS = 7 * 86_400;

const RotateWebhookSecretBody = z
  .object({
    overlapSeconds: z
      .number()
      .int()
      .min(0)
      .max(MAX_SECRET_OVERLAP_SECONDS)
      .optional()
      .openapi({
        description: `How long the old secret keeps signing deliveries beside the new one (default ${DEFAULT_SECRET_OVERLAP_SECONDS}, 24 h; 0 = it stops now; at most 7 days).`,
        example: DEFAULT_SECRET_OVERLAP_SECONDS,
      }),
  })
  .strict()
  .openapi("RotateWebhookSecret");

export const rotateWebhookSecretRoute = createRoute({
  method: "post",
  path: "/admin/webhooks/{id}/rotate-secret",
  operationId: "rotateWebhookSecret",
  tags: ["Webhooks"],
  summary: "Rotate a webhook's signing secret",
  description:
    "A new `whsec_…` secret, shown only in this response. During the overlap every delivery carries two signatures in `webhook-signature` (new and old, space-separated, as Standard Webhooks allows), so a receiver can switch secrets at its own pace.",
  ...requireScope("operators:write"),
  request: { params: WebhookIdParam, body: { required: false, content: { "application/json": { schema: RotateWebhookSecretBody } } } },
  responses: {
    201: { description: "The webhook with its new secret", content: { "application/json": { schema: CreatedWebhookSchema } } },
    ...notFoundError,
    ...adminErrors,
    ...bodyErrors,
  },
});

export const rotateWebhookSecret: RouteHandler<typeof rotateWebhookSecretRoute, GatewayEnv> = async (c) => {
  const { id } = c.req.valid("param");
  const overlapSeconds = c.req.valid("json")?.overlapSeconds ?? DEFAULT_SECRET_OVERLAP_SECONDS;
  const now = Date.now();
  const overlapUntil = now + overlapSeconds * 1000;
  const secret = newSigningSecret();
  const audit = auditEntry(
    "webhook.rotate_secret",
    null,
    { webhookId: id, overlapUntil: overlapSeconds > 0 ? new Date(overlapUntil).toISOString() : null },
    now,
    auditActor(c),
  );
  const row = await storeRotation(database(c.env.DB), id, secret, overlapUntil, now, audit);
  if (!row) throw new GatewayError("not_found", `No webhook with id ${id}.`);
  return c.json({ ...toWebhookObject(row), secret }, 201);
};
