// POST /_gateway/admin/webhooks/{id}/deliveries/{deliveryId}/resend: queues a delivery again, same `webhook-id`, with a fresh
// 24-hour retry span (docs/webhooks.md).
import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { database } from "../db/client";
import type { GatewayEnv } from "../env";
import { GatewayError } from "../errors";
import { adminErrors, notFoundError } from "../gateway/schemas";
import type { Delivery } from "../webhooks/outbox";
import { webhookOutboxes } from "../webhooks/outbox-client";
import { getWebhookRow } from "../webhooks/store";
import { requireScope } from "./auth";
import { DeliverySchema, toDeliveryObject, WebhookIdParam } from "./webhook-object";

export const resendWebhookDeliveryRoute = createRoute({
  method: "post",
  path: "/admin/webhooks/{id}/deliveries/{deliveryId}/resend",
  operationId: "resendWebhookDelivery",
  tags: ["Webhooks"],
  summary: "Send a delivery again",
  description: "Queues the same message (same `webhook-id`) again with a fresh 24-hour retry span, e.g. after it failed.",
  ...requireScope("operators:write"),
  request: {
    params: WebhookIdParam.extend({
      deliveryId: z
        .string()
        .min(1)
        .max(64)
        .openapi({ param: { name: "deliveryId", in: "path" }, example: "msg_2fR8dLq0v7YkTn3WbP5xHs" }),
    }),
  },
  responses: {
    202: { description: "Queued", content: { "application/json": { schema: DeliverySchema } } },
    ...notFoundError,
    ...adminErrors,
  },
});

export const resendWebhookDelivery: RouteHandler<typeof resendWebhookDeliveryRoute, GatewayEnv> = async (c) => {
  const { id, deliveryId } = c.req.valid("param");
  if (!(await getWebhookRow(database(c.env.DB), id))) throw new GatewayError("not_found", `No webhook with id ${id}.`);
  let delivery: Delivery | undefined;
  try {
    delivery = await webhookOutboxes(c.env, c.get("config").limiterTimeoutMs).resend(id, deliveryId);
  } catch (error) {
    throw new GatewayError("limiter_unavailable", "The delivery could not be queued again; retry the call.", { cause: error });
  }
  if (!delivery) throw new GatewayError("not_found", `Webhook ${id} has no delivery ${deliveryId}.`);
  return c.json(toDeliveryObject(delivery), 202);
};
