// The client of the webhook outboxes (one WebhookOutbox object per webhook): every call to them,
// from admin routes, the cron and key objects' alarms alike, goes through here with its timeout.
import type { Env } from "../env";
import { boundedCall, objectTimeoutMs } from "../objects/bounded-call";
import { webhookOutboxName } from "../objects/names";
import type { WebhookEvent } from "./events";
import type { Delivery, DeliveryPage, WebhookOutbox } from "./outbox";

/** What callers ask of a webhook's queue. */
export interface WebhookOutboxes {
  /** Stores a message for delivery (an id already held is ignored). */
  enqueue(webhookId: string, messageId: string, event: WebhookEvent): Promise<void>;
  get(webhookId: string, deliveryId: string): Promise<Delivery | undefined>;
  /** Queues a delivery again; undefined when the webhook has no such delivery. */
  resend(webhookId: string, deliveryId: string): Promise<Delivery | undefined>;
  list(webhookId: string, limit: number, before?: { queuedAt: number; id: string }): Promise<DeliveryPage>;
  /** Deletes the webhook's queue and its storage. */
  purge(webhookId: string): Promise<void>;
}

/** Reaches the outboxes through their binding; every failure or timeout becomes a `limiter_unavailable` GatewayError. */
export class DurableWebhookOutboxes implements WebhookOutboxes {
  constructor(
    private readonly env: Pick<Env, "WEBHOOK_OUTBOX">,
    private readonly timeoutMs: number,
  ) {}

  enqueue(webhookId: string, messageId: string, event: WebhookEvent): Promise<void> {
    return this.call(webhookId, (outbox) => outbox.enqueue(webhookId, messageId, event), "The webhook message could not be queued.");
  }

  get(webhookId: string, deliveryId: string): Promise<Delivery | undefined> {
    return this.call(webhookId, (outbox) => outbox.get(deliveryId), "The webhook's delivery could not be read.");
  }

  resend(webhookId: string, deliveryId: string): Promise<Delivery | undefined> {
    return this.call(webhookId, (outbox) => outbox.resend(deliveryId), "The delivery could not be queued again.");
  }

  list(webhookId: string, limit: number, before?: { queuedAt: number; id: string }): Promise<DeliveryPage> {
    return this.call(webhookId, (outbox) => outbox.list(limit, before), "The webhook's delivery log could not be read.");
  }

  purge(webhookId: string): Promise<void> {
    return this.call(webhookId, (outbox) => outbox.purge(), "The webhook's queue could not be purged.");
  }

  private call<T>(webhookId: string, rpc: (outbox: DurableObjectStub<WebhookOutbox>) => Promise<T>, detail: string) {
    return boundedCall(() => rpc(this.env.WEBHOOK_OUTBOX.getByName(webhookOutboxName(webhookId))), this.timeoutMs, detail);
  }
}

/** The outboxes' client; `timeoutMs` defaults to `LIMITER_TIMEOUT_MS` as set (for calls made outside a request). */
export const webhookOutboxes = (env: Env, timeoutMs = objectTimeoutMs(env)): WebhookOutboxes => new DurableWebhookOutboxes(env, timeoutMs);
