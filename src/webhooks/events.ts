// The webhook events' shapes (`key.*`, quota and rate-limit alerts, `webhook.test`): what each says,
// never a key, a secret or its hash (docs/webhooks.md § Events).
import { type QuotaSpec, WEBHOOK_EVENTS } from "../db/schema";

/** What a key event says about its key: never the key, a secret's hash or any secret. */
export type KeyRef = {
  keyId: string;
  name: string;
  owner: string | null;
};

/** Each event type's `data`; see docs/webhooks.md. */
export interface EventData extends Record<WebhookMessageType, unknown> {
  "key.revoked": KeyRef & { revokedAt: string };
  "key.rotated": KeyRef & { start: string; previousSecretsExpireAt: string };
  /** `subject` says what expires: the key itself, or a rotated-out secret at the end of its grace period. */
  "key.expiring": KeyRef & { subject: "key" | "secret"; start: string | null; expiresAt: string; daysBefore: number };
  "quota.threshold": KeyRef & { threshold: number; limit: number; used: number; period: QuotaSpec["period"]; periodStart: string };
  "key.rate_limited": KeyRef & { limit: string; retryAfter: number };
  /** GitHub secret scanning found the key in public (docs/secret-scanning.md); `action` says whether it was revoked. */
  "key.leaked": KeyRef & { url: string; source: string; tokenType: string; action: "revoke" | "notify"; reportedAt: string };
  /** Sent on request to one webhook only (`POST /webhooks/:id/test`); no webhook subscribes to it. */
  "webhook.test": { webhookId: string };
}

/** Every type a message can have: the subscribable events and the test send. */
export const WEBHOOK_MESSAGE_TYPES = [...WEBHOOK_EVENTS, "webhook.test"] as const;
export type WebhookMessageType = (typeof WEBHOOK_MESSAGE_TYPES)[number];

export interface WebhookEvent<T extends WebhookMessageType = WebhookMessageType> {
  type: T;
  /** ISO-8601: when the gateway saw what the event reports. */
  timestamp: string;
  data: EventData[T];
}

export function webhookEvent<T extends WebhookMessageType>(type: T, data: EventData[T], at: number): WebhookEvent<T> {
  return { type, timestamp: new Date(at).toISOString(), data };
}
