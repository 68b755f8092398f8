// GET /_gateway/admin/webhooks/{id}: one webhook, its URL's query hidden from callers without operators:write (docs/webhooks.md).
import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { database } from "../db/client";
import type { GatewayEnv } from "../env";
import { GatewayError } from "../errors";
import { adminErrors, notFoundError } from "../gateway/schemas";
import { getWebhookRow } from "../webhooks/store";
import { requireScope } from "./auth";
import { WebhookIdParam, WebhookSchema, webhookObjectFor } from "./webhook-object";

export const getWebhookRoute = createRoute({
  method: "get",
  path: "/admin/webhooks/{id}",
  operationId: "getWebhook",
  tags: ["Webhooks"],
  summary: "Get a webhook",
  ...requireScope("usage:read"),
  request: { params: WebhookIdParam },
  responses: {
    200: { description: "The webhook", content: { "application/json": { schema: WebhookSchema } } },
    ...notFoundError,
    ...adminErrors,
  },
});

export const getWebhook: RouteHandler<typeof getWebhookRoute, GatewayEnv> = async (c) => {
  const { id } = c.req.valid("param");
  const row = await getWebhookRow(database(c.env.DB), id);
  if (!row) throw new GatewayError("not_found", `No webhook with id ${id}.`);
  return c.json(webhookObjectFor(c, row), 200);
};
