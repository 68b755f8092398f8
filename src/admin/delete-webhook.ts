// DELETE /_gateway/admin/webhooks/{id}: deletes a webhook and purges its outbox, pending retries and delivery log (docs/webhooks.md).
import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { database } from "../db/client";
import type { GatewayEnv } from "../env";
import { GatewayError } from "../errors";
import { adminErrors, notFoundError } from "../gateway/schemas";
import { webhookOutboxes } from "../webhooks/outbox-client";
import { deleteWebhookRow, getWebhookRow } from "../webhooks/store";
import { auditEntry } from "./audit";
import { auditActor, requireScope } from "./auth";
import { WebhookIdParam } from "./webhook-object";

export const deleteWebhookRoute = createRoute({
  method: "delete",
  path: "/admin/webhooks/{id}",
  operationId: "deleteWebhook",
  tags: ["Webhooks"],
  summary: "Delete a webhook",
  description: "Nothing more is sent to it, pending retries included; its delivery log is dropped.",
  ...requireScope("operators:write"),
  request: { params: WebhookIdParam },
  responses: {
    204: { description: "Deleted" },
    ...notFoundError,
    ...adminErrors,
  },
});

export const deleteWebhook: RouteHandler<typeof deleteWebhookRoute, GatewayEnv> = async (c) => {
  const { id } = c.req.valid("param");
  const db = database(c.env.DB);
  const row = await getWebhookRow(db, id);
  if (!row) throw new GatewayError("not_found", `No webhook with id ${id}.`);
  const now = Date.now();
  await deleteWebhookRow(db, id, auditEntry("webhook.delete", null, { webhookId: id, url: row.url }, now, auditActor(c)));
  // The row is gone first, so an alarm that runs before the purge finds no webhook and sends nothing.
  try {
    await webhookOutboxes(c.env, c.get("config").limiterTimeoutMs).purge(id);
  } catch (error) {
    console.warn(`webhook ${id}: outbox not purged now (its next alarm purges it): ${String(error)}`);
  }
  return c.body(null, 204);
};
