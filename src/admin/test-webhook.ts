// POST /admin/webhooks/{id}/test: queues a `webhook.test` message for one webhook through its outbox,
// signed and retried like every event, so an operator can check the receiver (docs/webhooks.md).
import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { database } from "../db/client";
import type { GatewayEnv } from "../env";
import { GatewayError } from "../errors";
import { adminErrors, notFoundError } from "../gateway/schemas";
import { newId } from "../keys/format";
import { webhookEvent } from "../webhooks/events";
import { webhookOutboxes } from "../webhooks/outbox-client";
import { getWebhookRow } from "../webhooks/store";
import { requireScope } from "./auth";
import { DeliverySchema, toDeliveryObject, WebhookIdParam } from "./webhook-object";

export const testWebhookRoute = createRoute({
  method: "post",
  path: "/admin/webhooks/{id}/test",
  operationId: "testWebhook",
  tags: ["Webhooks"],
  summary: "Send a test message",
  description:
    "Queues a `webhook.test` message (`data: {webhookId}`) for this webhook alone, whatever its `events`; it is signed, retried and logged like any delivery. A disabled webhook keeps it queued until it is enabled.",
  ...requireScope("operators:write"),
  request: { params: WebhookIdParam },
  responses: {
    202: { description: "Queued", content: { "application/json": { schema: DeliverySchema } } },
    ...notFoundError,
    ...adminErrors,
  },
});

export const testWebhook: RouteHandler<typeof testWebhookRoute, GatewayEnv> = async (c) => {
  const { id } = c.req.valid("param");
  if (!(await getWebhookRow(database(c.env.DB), id))) throw new GatewayError("not_found", `No webhook with id ${id}.`);
  const messageId = newId("msg");
  const outboxes = webhookOutboxes(c.env, c.get("config").limiterTimeoutMs);
  try {
    await outboxes.enqueue(id, messageId, webhookEvent("webhook.test", { webhookId: id }, Date.now()));
    const delivery = await outboxes.get(id, messageId);
    if (delivery) return c.json(toDeliveryObject(delivery), 202);
  } catch (error) {
    throw new GatewayError("limiter_unavailable", "The test message could not be queued; retry the call.", { cause: error });
  }
  throw new GatewayError("limiter_unavailable", "The test message could not be queued; retry the call.");
};
