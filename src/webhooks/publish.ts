import { database } from "../db/client";
import type { Env } from "../env";
import { newId } from "../keys/format";
import type { WebhookEvent } from "./events";
import { enabledWebhooks } from "./store";

/** Every webhook's queue is its own Durable Object: one slow receiver never holds up another. */
export const webhookOutboxName = (webhookId: string) => `webhook:${webhookId}`;

export function webhookOutbox(env: Env, webhookId: string) {
  return env.WEBHOOK_OUTBOX.getByName(webhookOutboxName(webhookId));
}

/**
 * Queues the event in the outbox of every enabled webhook subscribed to it (for `quota.threshold`,
 * only those watching that threshold). Returns once each has stored it; sending happens later.
 */
export async function publishEvent(env: Env, event: WebhookEvent): Promise<number> {
  const subscribed = (await enabledWebhooks(database(env.DB))).filter(
    (hook) =>
      hook.events.includes(event.type) &&
      (event.type !== "quota.threshold" || hook.thresholds.includes((event as WebhookEvent<"quota.threshold">).data.threshold)),
  );
  await Promise.all(subscribed.map((hook) => webhookOutbox(env, hook.id).enqueue(hook.id, newId("msg"), event)));
  return subscribed.length;
}

/**
 * For admin handlers: the event is stored before the answer leaves. The admin write itself has
 * succeeded by then, so a queue that cannot be reached is logged, not answered as an error.
 */
export async function publishAfterWrite(env: Env, event: WebhookEvent): Promise<void> {
  try {
    await publishEvent(env, event);
  } catch (error) {
    console.error(`webhook event ${event.type} not queued: ${String(error)}`);
  }
}
