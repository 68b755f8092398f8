// The cron's notices of keys and secrets about to expire: found in D1 and queued once each in the
// webhooks' outboxes (docs/webhooks.md § Events).
import { and, eq, gt, isNull, lte } from "drizzle-orm";
import { database } from "../db/client";
import { keySecrets, keys } from "../db/schema";
import type { Env } from "../env";
import { DAY_MS } from "../usage/hourly";
import { type EventData, webhookEvent } from "./events";
import { publishEvent } from "./publish";
import { claimNotice, releaseNotice } from "./store";

/** `key.expiring` goes out this many days before an expiry (docs/webhooks.md). */
const NOTICE_DAYS = [7, 1];
const HORIZON_MS = Math.max(...NOTICE_DAYS) * DAY_MS;

interface Expiry {
  data: Omit<EventData["key.expiring"], "daysBefore">;
  /** What expires, stable across runs: a new expiry time is a new notice. */
  subject: string;
  at: number;
}

async function upcomingExpiries(env: Env, now: number): Promise<Expiry[]> {
  const db = database(env.DB);
  const [expiringKeys, expiringSecrets] = await Promise.all([
    db
      .select()
      .from(keys)
      .where(and(isNull(keys.revokedAt), gt(keys.expiresAt, now), lte(keys.expiresAt, now + HORIZON_MS))),
    db
      .select({ key: keys, secret: keySecrets })
      .from(keySecrets)
      .innerJoin(keys, eq(keySecrets.keyId, keys.id))
      .where(and(isNull(keys.revokedAt), gt(keySecrets.expiresAt, now), lte(keySecrets.expiresAt, now + HORIZON_MS))),
  ]);
  const ref = (key: typeof keys.$inferSelect) => ({ keyId: key.id, name: key.name, owner: key.owner });
  return [
    ...expiringKeys.map((key) => ({
      subject: `key:${key.id}`,
      at: key.expiresAt!,
      data: { ...ref(key), subject: "key" as const, start: null, expiresAt: new Date(key.expiresAt!).toISOString() },
    })),
    ...expiringSecrets.map(({ key, secret }) => ({
      subject: `secret:${secret.id}`,
      at: secret.expiresAt!,
      data: { ...ref(key), subject: "secret" as const, start: secret.start, expiresAt: new Date(secret.expiresAt!).toISOString() },
    })),
  ];
}

/**
 * Run by the cron trigger: queues `key.expiring` for keys and rotated-out secrets that have come
 * within 7 days (then 1 day) of their expiry. Each notice is claimed in D1 first, so it goes out
 * once however often this runs; when several are due at once, only the nearest is sent.
 */
export async function queueExpiryNotices(env: Env, now: number): Promise<number> {
  const db = database(env.DB);
  let queued = 0;
  for (const expiry of await upcomingExpiries(env, now)) {
    const due = NOTICE_DAYS.filter((days) => expiry.at - now <= days * DAY_MS);
    const claimed: string[] = [];
    for (const days of due) {
      const id = `key.expiring:${expiry.subject}:${expiry.at}:${days}d`;
      if (await claimNotice(db, id, now)) claimed.push(id);
    }
    // Only the nearest notice not sent before is worth sending; farther ones are merely marked.
    const nearest = Math.min(...due);
    if (!claimed.some((id) => id.endsWith(`:${nearest}d`))) continue;
    try {
      await publishEvent(env, webhookEvent("key.expiring", { ...expiry.data, daysBefore: nearest }, now));
      queued++;
    } catch (error) {
      await Promise.all(claimed.map((id) => releaseNotice(db, id)));
      console.error(`key.expiring for ${expiry.subject} not queued: ${String(error)}`);
    }
  }
  return queued;
}
