// The webhook object of the admin API (docs/webhooks.md): bodies, schemas of a webhook and a delivery, the public-target check,
// and who may see a webhook's URL whole.
import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { WEBHOOK_EVENTS, type WebhookRow } from "../db/schema";
import type { GatewayEnv } from "../env";
import { GatewayError } from "../errors";
import { runsLocally } from "../http/local";
import { WEBHOOK_MESSAGE_TYPES } from "../webhooks/events";
import type { Delivery } from "../webhooks/outbox";
import { isLoopbackHost, refusedTarget } from "../webhooks/target";

/** What the document shows of the check below: https, or http to a loopback host; no credentials. */
const WEBHOOK_URL_PATTERN = String.raw`^(https://[^/@\s]+|http://(localhost|127\.\d{1,3}\.\d{1,3}\.\d{1,3}|\[::1\])(:\d{1,5})?)([/?#]\S*)?$`;

const webhookUrl = z
  .string()
  .max(2048)
  .refine((value) => {
    try {
      const url = new URL(value);
      return !url.username && !url.password && (url.protocol === "https:" || (url.protocol === "http:" && isLoopbackHost(url.hostname)));
    } catch {
      return false;
    }
  }, "must be an https:// URL (http:// only for localhost), without credentials")
  .openapi({ format: "uri", pattern: WEBHOOK_URL_PATTERN, example: "https://hooks.example.com/gateway" });

const events = z
  .array(z.enum(WEBHOOK_EVENTS))
  .min(1)
  .max(WEBHOOK_EVENTS.length)
  .refine((list) => new Set(list).size === list.length, "must not repeat an event")
  .openapi({ uniqueItems: true, description: "The event types this webhook receives.", example: ["quota.threshold", "key.revoked"] });

export const DEFAULT_THRESHOLDS = [80, 100];

const thresholds = z
  .array(z.number().int().min(1).max(100))
  .min(1)
  .max(10)
  .refine((list) => new Set(list).size === list.length, "must not repeat a threshold")
  .openapi({
    uniqueItems: true,
    description: "Quota percentages that fire `quota.threshold`, each once per quota period. Default [80, 100].",
    example: [80, 100],
  });

export const CreateWebhookBody = z
  .object({ url: webhookUrl, events, thresholds: thresholds.optional(), enabled: z.boolean().optional() })
  .strict()
  .openapi("CreateWebhook");

export const UpdateWebhookBody = z
  .object({ url: webhookUrl.optional(), events: events.optional(), thresholds: thresholds.optional(), enabled: z.boolean().optional() })
  .strict()
  .refine((body) => Object.keys(body).length > 0, "give at least one field to change")
  .openapi("UpdateWebhook", { minProperties: 1 });

export const WebhookSchema = z
  .object({
    id: z.string().openapi({ example: "whk_5XbV8kq1t4NfW2xYpQ7mHs" }),
    url: z.string(),
    events: z.array(z.enum(WEBHOOK_EVENTS)),
    thresholds: z.array(z.number().int()),
    enabled: z.boolean(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("Webhook");

export const CreatedWebhookSchema = WebhookSchema.extend({
  secret: z.string().openapi({
    description: "The signing secret (Standard Webhooks `whsec_…`). Shown only in this response.",
    example: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  }),
}).openapi("CreatedWebhook");

export const WebhookIdParam = z.object({
  id: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: "id", in: "path" }, example: "whk_5XbV8kq1t4NfW2xYpQ7mHs" }),
});

export const DeliverySchema = z
  .object({
    id: z
      .string()
      .openapi({ description: "The message id, sent as `webhook-id` with every attempt.", example: "msg_2fR8dLq0v7YkTn3WbP5xHs" }),
    type: z.enum(WEBHOOK_MESSAGE_TYPES).openapi({ description: "An event type, or `webhook.test` for a test send." }),
    event: z
      .object({ type: z.enum(WEBHOOK_MESSAGE_TYPES), timestamp: z.string(), data: z.record(z.string(), z.unknown()) })
      .openapi({ description: "The message body as sent. Never a key, a hash or a secret." }),
    status: z.enum(["pending", "delivered", "failed"]),
    queuedAt: z.string(),
    nextAttemptAt: z.string().nullable(),
    attempts: z.array(
      z.object({
        at: z.string(),
        status: z.number().int().nullable().openapi({ description: "The receiver's HTTP status; null if it did not answer." }),
        error: z.string().nullable(),
        durationMs: z.number().int(),
      }),
    ),
  })
  .openapi("WebhookDelivery");

const iso = (ms: number) => new Date(ms).toISOString();

export function toWebhookObject(row: WebhookRow): z.infer<typeof WebhookSchema> {
  return {
    id: row.id,
    url: row.url,
    events: row.events,
    thresholds: row.thresholds,
    enabled: row.enabled,
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}

export function toDeliveryObject(delivery: Delivery): z.infer<typeof DeliverySchema> {
  return {
    id: delivery.id,
    type: delivery.type,
    event: delivery.event,
    status: delivery.status,
    queuedAt: iso(delivery.queuedAt),
    nextAttemptAt: delivery.nextAttemptAt === null ? null : iso(delivery.nextAttemptAt),
    attempts: delivery.attempts.map((a) => ({ at: iso(a.at), status: a.status, error: a.error, durationMs: a.durationMs })),
  };
}

/** 400 naming `url` when a webhook URL is not a public target (loopback is allowed only when the gateway runs locally). */
export function assertPublicTarget(c: Context<GatewayEnv>, url: string): void {
  const refused = refusedTarget(url, runsLocally(c.req.url));
  if (refused) throw new GatewayError("invalid_request", `url: ${refused}`);
}

/** Whether this admin call may see webhook URLs whole: their query strings often hold the receiver's secret. */
export const seesWebhookSecrets = (c: Context<GatewayEnv>) => c.get("adminPrincipal")?.scopes.includes("operators:write") === true;

/** A webhook URL as a token without `operators:write` sees it (docs/webhooks.md): its query string replaced by `?redacted`. */
export function redactedUrl(url: string): string {
  const query = url.indexOf("?");
  return query === -1 ? url : `${url.slice(0, query)}?redacted`;
}

/** The webhook as this admin call may see it. */
export function webhookObjectFor(c: Context<GatewayEnv>, row: WebhookRow): z.infer<typeof WebhookSchema> {
  const webhook = toWebhookObject(row);
  return seesWebhookSecrets(c) ? webhook : { ...webhook, url: redactedUrl(webhook.url) };
}
