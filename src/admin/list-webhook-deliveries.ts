// GET /_gateway/admin/webhooks/{id}/deliveries: a webhook's deliveries, newest first, with every attempt, read from its
// outbox Durable Object (docs/webhooks.md).
import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { database } from "../db/client";
import type { GatewayEnv } from "../env";
import { GatewayError } from "../errors";
import { adminErrors, notFoundError } from "../gateway/schemas";
import type { DeliveryPage } from "../webhooks/outbox";
import { webhookOutboxes } from "../webhooks/outbox-client";
import { getWebhookRow } from "../webhooks/store";
import { requireScope } from "./auth";
import { decodeCursor, encodeCursor } from "./cursor";
import { nextCursor, pageCursor, pageLimit } from "./params";
import { DeliverySchema, toDeliveryObject, WebhookIdParam } from "./webhook-object";

export const listWebhookDeliveriesRoute = createRoute({
  method: "get",
  path: "/admin/webhooks/{id}/deliveries",
  operationId: "listWebhookDeliveries",
  tags: ["Webhooks"],
  summary: "A webhook's deliveries",
  description: "Newest first, with every attempt's time, HTTP status and error. Kept for 30 days.",
  ...requireScope("usage:read"),
  request: { params: WebhookIdParam, query: z.object({ limit: pageLimit, cursor: pageCursor }) },
  responses: {
    200: {
      description: "A page of deliveries",
      content: { "application/json": { schema: z.object({ items: z.array(DeliverySchema), nextCursor }).openapi("WebhookDeliveryPage") } },
    },
    ...notFoundError,
    ...adminErrors,
  },
});

export const listWebhookDeliveries: RouteHandler<typeof listWebhookDeliveriesRoute, GatewayEnv> = async (c) => {
  const { id } = c.req.valid("param");
  const { limit, cursor } = c.req.valid("query");
  if (!(await getWebhookRow(database(c.env.DB), id))) throw new GatewayError("not_found", `No webhook with id ${id}.`);
  const before = cursor === undefined ? undefined : decodeCursor(cursor, "string");
  const [queuedAt, deliveryId] = before?.split(" ") ?? [];
  let page: DeliveryPage;
  try {
    page = await webhookOutboxes(c.env, c.get("config").limiterTimeoutMs).list(
      id,
      limit,
      before ? { queuedAt: Number(queuedAt), id: deliveryId ?? "" } : undefined,
    );
  } catch (error) {
    throw new GatewayError("limiter_unavailable", "The webhook's delivery log could not be read; retry the call.", { cause: error });
  }
  return c.json(
    { items: page.items.map(toDeliveryObject), nextCursor: page.last ? encodeCursor(`${page.last.queuedAt} ${page.last.id}`) : null },
    200,
  );
};
