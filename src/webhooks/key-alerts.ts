// A key object's alerts (quota thresholds, rate-limit spells): decided in the object, queued in the
// webhooks' outboxes at most once per period or spell (docs/webhooks.md § Events).
import { database } from "../db/client";
import type { QuotaSpec } from "../db/schema";
import type { Env } from "../env";
import { sha256Hex } from "../keys/sha256";
import { getKeyRow } from "../keys/store";
import { type KeyRef, webhookEvent } from "./events";
import { publishMessages } from "./publish";

/** Refusals closer together than this are one spell: only its first sends `key.rate_limited`. */
export const QUIET_SPELL_MS = 15 * 60_000;
/** How soon after the decision that raised it an alert is sent (from the key object's alarm). */
export const ALERT_DELAY_MS = 1_000;

/** Schema step for the key object (appended to its versioned schema). */
export const KEY_ALERTS_SCHEMA = `CREATE TABLE quota_alerts (id INTEGER PRIMARY KEY CHECK (id = 1), key_id TEXT NOT NULL, period TEXT NOT NULL, period_start INTEGER NOT NULL, limit_value INTEGER NOT NULL, used INTEGER NOT NULL, reached INTEGER NOT NULL, notified INTEGER NOT NULL);
CREATE TABLE refusal_alerts (id INTEGER PRIMARY KEY CHECK (id = 1), key_id TEXT NOT NULL, last_refusal INTEGER NOT NULL, spell_start INTEGER NOT NULL, limit_name TEXT NOT NULL, retry_after INTEGER NOT NULL, notified INTEGER NOT NULL);`;

interface QuotaRow {
  key_id: string;
  period: QuotaSpec["period"];
  period_start: number;
  limit_value: number;
  used: number;
  /** Highest whole percent of the quota used in this period. */
  reached: number;
  /** Highest percent already announced: thresholds at or below it have gone out this period. */
  notified: number;
  [column: string]: SqlStorageValue;
}

interface RefusalRow {
  key_id: string;
  last_refusal: number;
  spell_start: number;
  limit_name: string;
  retry_after: number;
  /** 1 once the spell's first refusal has been announced. */
  notified: number;
  [column: string]: SqlStorageValue;
}

/** Message ids derived from what they announce: a retried alarm queues the same message, not a second one. */
const messageId = (...parts: (string | number)[]) => `msg_${sha256Hex(parts.join("\n")).slice(0, 26)}`;

/**
 * What a key's object notices for webhooks: quota thresholds crossed (each once per period,
 * however the count moves) and the first refusal after a quiet spell. Both are written in the
 * decision's own turn and sent later by the object's alarm, never on the request path.
 */
export class KeyAlerts {
  constructor(private readonly sql: SqlStorage) {}

  /** After quota was spent; true when an alert now waits for the alarm. */
  quotaSpent(keyId: string, quota: QuotaSpec, periodStart: number, used: number): boolean {
    const reached = Math.min(100, Math.floor((used * 100) / quota.limit));
    const row = this.sql.exec<QuotaRow>("SELECT * FROM quota_alerts").toArray()[0];
    const samePeriod = row?.period === quota.period && row.period_start === periodStart && row.limit_value === quota.limit;
    const notified = samePeriod ? row.notified : 0;
    const highest = Math.max(reached, samePeriod ? row.reached : 0);
    if (samePeriod && highest === row.reached) return highest > notified;
    this.sql.exec(
      "INSERT OR REPLACE INTO quota_alerts (id, key_id, period, period_start, limit_value, used, reached, notified) VALUES (1, ?, ?, ?, ?, ?, ?, ?)",
      keyId,
      quota.period,
      periodStart,
      quota.limit,
      used,
      highest,
      notified,
    );
    return highest > notified;
  }

  /** After a refusal (or `count` refused in an isolate); true when an alert now waits for the alarm. */
  refused(keyId: string, now: number, limitName: string, retryAfter: number, count = 1): boolean {
    if (count <= 0) return false;
    const row = this.sql.exec<RefusalRow>("SELECT * FROM refusal_alerts").toArray()[0];
    if (row && now - row.last_refusal < QUIET_SPELL_MS) {
      this.sql.exec("UPDATE refusal_alerts SET last_refusal = ? WHERE id = 1", now);
      return row.notified === 0;
    }
    this.sql.exec(
      "INSERT OR REPLACE INTO refusal_alerts (id, key_id, last_refusal, spell_start, limit_name, retry_after, notified) VALUES (1, ?, ?, ?, ?, ?, 0)",
      keyId,
      now,
      now,
      limitName,
      retryAfter,
    );
    return true;
  }

  /** From the alarm: queues what waits with every subscribed webhook. A failure throws, so the alarm is retried. */
  async send(env: Env): Promise<void> {
    const quota = this.sql.exec<QuotaRow>("SELECT * FROM quota_alerts WHERE reached > notified").toArray()[0];
    const refusal = this.sql.exec<RefusalRow>("SELECT * FROM refusal_alerts WHERE notified = 0").toArray()[0];
    const keyId = quota?.key_id ?? refusal?.key_id;
    if (keyId === undefined) return;
    const key = await getKeyRow(database(env.DB), keyId);
    if (!key) return;
    const ref: KeyRef = { keyId, name: key.name, owner: key.owner };
    const now = Date.now();
    if (quota) {
      const periodStart = new Date(quota.period_start).toISOString();
      await publishMessages(env, "quota.threshold", (hook) =>
        hook.thresholds
          .filter((t) => t > quota.notified && t <= quota.reached)
          .map((threshold) => ({
            id: messageId(hook.id, keyId, quota.period, quota.period_start, threshold),
            event: webhookEvent(
              "quota.threshold",
              { ...ref, threshold, limit: quota.limit_value, used: quota.used, period: quota.period, periodStart },
              now,
            ),
          })),
      );
      this.sql.exec("UPDATE quota_alerts SET notified = ? WHERE id = 1 AND period_start = ?", quota.reached, quota.period_start);
    }
    if (refusal) {
      const event = webhookEvent(
        "key.rate_limited",
        { ...ref, limit: refusal.limit_name, retryAfter: refusal.retry_after },
        refusal.spell_start,
      );
      await publishMessages(env, "key.rate_limited", (hook) => [
        { id: messageId(hook.id, keyId, "key.rate_limited", refusal.spell_start), event },
      ]);
      this.sql.exec("UPDATE refusal_alerts SET notified = 1 WHERE id = 1 AND spell_start = ?", refusal.spell_start);
    }
  }
}
