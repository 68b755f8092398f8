// Publishing webhook events: queues each message in the outbox of every enabled webhook subscribed
// to it, through the outboxes' client (outbox-client.ts).
import { database } from "../db/client";
import type { WebhookEventType, WebhookRow } from "../db/schema";
import type { Env } from "../env";
import { newId } from "../keys/format";
import type { WebhookEvent } from "./events";
import { webhookOutboxes } from "./outbox-client";
import { enabledWebhooks } from "./store";

/** The messages one webhook gets (none, one, or one per threshold it watches). */
export type MessagesFor = (hook: WebhookRow) => { id: string; event: WebhookEvent }[];

/**
 * Queues messages in the outbox of every enabled webhook subscribed to `type`. Returns once each
 * has stored them (an outbox ignores a message id it already holds); sending happens later.
 */
export async function publishMessages(env: Env, type: WebhookEventType, messagesFor: MessagesFor): Promise<number> {
  const subscribed = (await enabledWebhooks(database(env.DB))).filter((hook) => hook.events.includes(type));
  const queued = subscribed.flatMap((hook) => messagesFor(hook).map((message) => ({ hook, ...message })));
  const outboxes = webhookOutboxes(env);
  await Promise.all(queued.map(({ hook, id, event }) => outboxes.enqueue(hook.id, id, event)));
  return queued.length;
}

/** One event, the same for every subscribed webhook, each copy with its own message id. */
export function publishEvent(env: Env, event: WebhookEvent<WebhookEventType>): Promise<number> {
  return publishMessages(env, event.type, () => [{ id: newId("msg"), event }]);
}

/**
 * For admin handlers: the event is stored before the answer leaves. The admin write itself has
 * succeeded by then, so a queue that cannot be reached is logged, not answered as an error.
 */
export async function publishAfterWrite(env: Env, event: WebhookEvent<WebhookEventType>): Promise<void> {
  try {
    await publishEvent(env, event);
  } catch (error) {
    console.error(`webhook event ${event.type} not queued: ${String(error)}`);
  }
}
