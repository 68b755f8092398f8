// POST /_gateway/admin/webhooks: creates a webhook for usage alerts and key events; its signing secret is shown once
// (docs/webhooks.md § Managing webhooks).
import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { database } from "../db/client";
import type { WebhookRow } from "../db/schema";
import type { GatewayEnv } from "../env";
import { adminErrors, bodyErrors } from "../gateway/schemas";
import { newId } from "../keys/format";
import { newSigningSecret } from "../webhooks/signing";
import { insertWebhook } from "../webhooks/store";
import { auditEntry } from "./audit";
import { auditActor, requireScope } from "./auth";
import { assertPublicTarget, CreatedWebhookSchema, CreateWebhookBody, DEFAULT_THRESHOLDS, toWebhookObject } from "./webhook-object";

export const createWebhookRoute = createRoute({
  method: "post",
  path: "/admin/webhooks",
  operationId: "createWebhook",
  tags: ["Webhooks"],
  summary: "Create a webhook",
  description: "Usage alerts and key events, signed per the Standard Webhooks spec. The signing secret is in this response only.",
  ...requireScope("operators:write"),
  request: { body: { required: true, content: { "application/json": { schema: CreateWebhookBody } } } },
  responses: {
    201: { description: "Created", content: { "application/json": { schema: CreatedWebhookSchema } } },
    ...adminErrors,
    ...bodyErrors,
  },
});

export const createWebhook: RouteHandler<typeof createWebhookRoute, GatewayEnv> = async (c) => {
  const body = c.req.valid("json");
  assertPublicTarget(c, body.url);
  const now = Date.now();
  const row: WebhookRow = {
    id: newId("whk"),
    url: body.url,
    events: body.events,
    thresholds: [...(body.thresholds ?? DEFAULT_THRESHOLDS)].sort((a, b) => a - b),
    secret: newSigningSecret(),
    previousSecret: null,
    previousSecretExpiresAt: null,
    enabled: body.enabled ?? true,
    createdAt: now,
    updatedAt: now,
  };
  const audit = auditEntry(
    "webhook.create",
    null,
    { webhookId: row.id, url: row.url, events: row.events, thresholds: row.thresholds, enabled: row.enabled },
    now,
    auditActor(c),
  );
  await insertWebhook(database(c.env.DB), row, audit);
  return c.json({ ...toWebhookObject(row), secret: row.secret }, 201);
};
