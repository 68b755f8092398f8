// PATCH /_gateway/admin/webhooks/{id}: changes a webhook's URL, events, thresholds or `enabled`; pending deliveries
// follow (docs/webhooks.md).
import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { database } from "../db/client";
import type { GatewayEnv } from "../env";
import { GatewayError } from "../errors";
import { adminErrors, bodyErrors, notFoundError } from "../gateway/schemas";
import { getWebhookRow, updateWebhookRow } from "../webhooks/store";
import { auditEntry } from "./audit";
import { auditActor, requireScope } from "./auth";
import { assertPublicTarget, toWebhookObject, UpdateWebhookBody, WebhookIdParam, WebhookSchema } from "./webhook-object";

export const updateWebhookRoute = createRoute({
  method: "patch",
  path: "/admin/webhooks/{id}",
  operationId: "updateWebhook",
  tags: ["Webhooks"],
  summary: "Update a webhook",
  description: "A new URL or a re-enabled webhook applies to pending deliveries too; the signing secret never changes.",
  ...requireScope("operators:write"),
  request: { params: WebhookIdParam, body: { required: true, content: { "application/json": { schema: UpdateWebhookBody } } } },
  responses: {
    200: { description: "The updated webhook", content: { "application/json": { schema: WebhookSchema } } },
    ...notFoundError,
    ...adminErrors,
    ...bodyErrors,
  },
});

export const updateWebhook: RouteHandler<typeof updateWebhookRoute, GatewayEnv> = async (c) => {
  const { id } = c.req.valid("param");
  const { thresholds, ...rest } = c.req.valid("json");
  if (rest.url !== undefined) assertPublicTarget(c, rest.url);
  const changes = { ...rest, ...(thresholds && { thresholds: [...thresholds].sort((a, b) => a - b) }) };
  const db = database(c.env.DB);
  if (!(await getWebhookRow(db, id))) throw new GatewayError("not_found", `No webhook with id ${id}.`);
  const now = Date.now();
  const row = await updateWebhookRow(
    db,
    id,
    changes,
    now,
    auditEntry("webhook.update", null, { webhookId: id, ...changes }, now, auditActor(c)),
  );
  if (!row) throw new GatewayError("not_found", `No webhook with id ${id}.`);
  return c.json(toWebhookObject(row), 200);
};
