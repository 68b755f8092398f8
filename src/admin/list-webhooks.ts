// GET /_gateway/admin/webhooks: webhooks a page at a time, URL queries hidden from callers without operators:write (docs/webhooks.md).
import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { database } from "../db/client";
import type { GatewayEnv } from "../env";
import { adminErrors } from "../gateway/schemas";
import { listWebhookRows } from "../webhooks/store";
import { requireScope } from "./auth";
import { decodeCursor, encodeCursor } from "./cursor";
import { nextCursor, pageCursor, pageLimit } from "./params";
import { WebhookSchema, webhookObjectFor } from "./webhook-object";

export const listWebhooksRoute = createRoute({
  method: "get",
  path: "/admin/webhooks",
  operationId: "listWebhooks",
  tags: ["Webhooks"],
  summary: "List webhooks",
  ...requireScope("usage:read"),
  request: { query: z.object({ limit: pageLimit, cursor: pageCursor }) },
  responses: {
    200: {
      description: "A page of webhooks",
      content: { "application/json": { schema: z.object({ items: z.array(WebhookSchema), nextCursor }).openapi("WebhookPage") } },
    },
    ...adminErrors,
  },
});

export const listWebhooks: RouteHandler<typeof listWebhooksRoute, GatewayEnv> = async (c) => {
  const { limit, cursor } = c.req.valid("query");
  const page = await listWebhookRows(database(c.env.DB), {
    limit,
    ...(cursor !== undefined && { afterId: decodeCursor(cursor, "string") }),
  });
  return c.json(
    { items: page.rows.map((row) => webhookObjectFor(c, row)), nextCursor: page.lastId === undefined ? null : encodeCursor(page.lastId) },
    200,
  );
};
