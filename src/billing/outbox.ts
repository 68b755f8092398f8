// The usage export's outbox (BillingOutbox, docs/billing.md): closes intervals, queues one event
// per identity and interval, and sends them to the billing vendor with retries from its alarm.
import { DurableObject } from "cloudflare:workers";
import { database } from "../db/client";
import type { Env } from "../env";
import { lazy } from "../lazy";
import { migrateSchema, type SchemaSteps } from "../ratelimit/object-schema";
import { DEFAULT_RETRY_BASE_MS, nextAttemptAt } from "../webhooks/retry";
import { identityUsageIn } from "./counts";
import { type BillingExportSettings, billingEvent, closedThrough, eventRequest, intervalsBetween, retryable, SETTLE_MS } from "./events";

// The config module (with zod) loads when the export first runs, not with every isolate that exports this class.
const settingsModule = lazy(() => import("../config/settings"));

const OUTBOX_SCHEMA: SchemaSteps = [
  `CREATE TABLE events (id TEXT PRIMARY KEY, identity_id TEXT NOT NULL, interval_start INTEGER NOT NULL, body TEXT NOT NULL, status TEXT NOT NULL, queued_at INTEGER NOT NULL, next_at INTEGER);
   CREATE INDEX events_due ON events (status, next_at);
   CREATE TABLE attempts (event_id TEXT NOT NULL, at INTEGER NOT NULL, status INTEGER, error TEXT, duration_ms INTEGER NOT NULL);
   CREATE INDEX attempts_event ON attempts (event_id, at);
   CREATE TABLE export_state (id INTEGER PRIMARY KEY CHECK (id = 1), closed_through INTEGER NOT NULL);
   CREATE TABLE skipped (identity_id TEXT PRIMARY KEY, interval_start INTEGER NOT NULL, reason TEXT NOT NULL);`,
];

const ATTEMPT_TIMEOUT_MS = 10_000;
/** Attempts in one alarm run; the rest go in the next run, at once. */
const ATTEMPTS_PER_RUN = 25;
/** Intervals closed in one run: a long pause catches up a day of hours at a time. */
const INTERVALS_PER_RUN = 24;
/** Most intervals one resend may span (31 days of hours). */
export const MAX_RESEND_INTERVALS = 744;
/** Sent and failed events are kept this long for the status (Stripe takes events up to 35 days old). */
const HISTORY_MS = 35 * 24 * 3_600_000;

interface EventRow {
  id: string;
  identity_id: string;
  interval_start: number;
  body: string;
  status: string;
  queued_at: number;
  next_at: number | null;
  [column: string]: SqlStorageValue;
}

export interface BillingFailure {
  id: string;
  identityId: string;
  intervalStart: number;
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  lastAttemptAt: number | null;
}

export interface BillingExportStatus {
  /** End of the newest interval closed (epoch ms), null before the first. */
  closedThrough: number | null;
  pending: number;
  sent: number;
  failed: number;
  /** Pending events that failed at least once, and failed events; newest first, at most 50. */
  failures: BillingFailure[];
  skipped: { identityId: string; intervalStart: number; reason: string }[];
}

export interface ResendResult {
  intervals: number;
  events: number;
  skipped: number;
}

/**
 * The usage export's outbox: closes intervals (its alarm, and the cron trigger's poke), stores one
 * event per identity and interval before sending any, and sends them with retries as webhook
 * deliveries are (webhooks/retry.ts). State is the object's SQLite, so a restart resumes it.
 */
export class BillingOutbox extends DurableObject<Env> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    migrateSchema(ctx.storage, OUTBOX_SCHEMA);
  }

  /** Closes the intervals due by `now` and schedules the alarm (called by the cron trigger). */
  async tick(now = Date.now()): Promise<void> {
    const settings = await this.settings();
    if (!settings) return;
    await this.closeIntervals(settings, now);
    await this.scheduleAlarm(settings);
  }

  /** Queues every closed interval of [from, to) again, with the same ids and counts read afresh. */
  async resend(from: number, to: number, now = Date.now()): Promise<ResendResult | undefined> {
    const settings = await this.settings();
    if (!settings) return undefined;
    const starts = intervalsBetween(from, to, now, settings.intervalMs, MAX_RESEND_INTERVALS);
    const result: ResendResult = { intervals: starts.length, events: 0, skipped: 0 };
    for (const start of starts) {
      const queued = await this.queueInterval(settings, start, now, true);
      result.events += queued.events;
      result.skipped += queued.skipped;
    }
    await this.scheduleAlarm(settings);
    return result;
  }

  status(): BillingExportStatus {
    const closed = this.sql.exec<{ closed_through: number }>("SELECT closed_through FROM export_state").toArray()[0];
    const counts = new Map(
      this.sql
        .exec<{ status: string; n: number }>("SELECT status, count(*) AS n FROM events GROUP BY status")
        .toArray()
        .map((row) => [row.status, row.n]),
    );
    const failures = this.sql
      .exec<{ id: string; identity_id: string; interval_start: number; attempts: number; last_at: number | null }>(
        `SELECT e.id, e.identity_id, e.interval_start, count(a.at) AS attempts, max(a.at) AS last_at FROM events e JOIN attempts a ON a.event_id = e.id
         WHERE e.status = 'failed' OR (e.status = 'pending' AND a.error IS NOT NULL AND a.at >= e.queued_at)
         GROUP BY e.id ORDER BY last_at DESC LIMIT 50`,
      )
      .toArray()
      .map((row) => {
        const last = this.sql
          .exec<{ status: number | null; error: string | null }>(
            "SELECT status, error FROM attempts WHERE event_id = ? ORDER BY at DESC LIMIT 1",
            row.id,
          )
          .toArray()[0];
        return {
          id: row.id,
          identityId: row.identity_id,
          intervalStart: row.interval_start,
          attempts: row.attempts,
          lastStatus: last?.status ?? null,
          lastError: last?.error ?? null,
          lastAttemptAt: row.last_at,
        };
      });
    const skipped = this.sql
      .exec<{ identity_id: string; interval_start: number; reason: string }>(
        "SELECT * FROM skipped ORDER BY interval_start DESC, identity_id LIMIT 100",
      )
      .toArray()
      .map((row) => ({ identityId: row.identity_id, intervalStart: row.interval_start, reason: row.reason }));
    return {
      closedThrough: closed?.closed_through ?? null,
      pending: counts.get("pending") ?? 0,
      sent: counts.get("sent") ?? 0,
      failed: counts.get("failed") ?? 0,
      failures,
      skipped,
    };
  }

  override async alarm(): Promise<void> {
    const settings = await this.settings();
    if (!settings) return;
    const now = Date.now();
    this.sql.exec(
      "DELETE FROM attempts WHERE event_id IN (SELECT id FROM events WHERE status != 'pending' AND queued_at < ?)",
      now - HISTORY_MS,
    );
    this.sql.exec("DELETE FROM events WHERE status != 'pending' AND queued_at < ?", now - HISTORY_MS);
    await this.closeIntervals(settings, now);
    const token = String(this.env.BILLING_EXPORT_TOKEN ?? "");
    const due = this.sql
      .exec<EventRow>("SELECT * FROM events WHERE status = 'pending' AND next_at <= ? ORDER BY next_at LIMIT ?", now, ATTEMPTS_PER_RUN)
      .toArray();
    for (const row of due) await this.attempt(settings, token, row);
    await this.scheduleAlarm(settings);
  }

  /** The export's settings, or undefined when it is off or the config is invalid (then nothing is sent). */
  private async settings(): Promise<BillingExportSettings | undefined> {
    const { loadConfig } = await settingsModule();
    const result = loadConfig(this.env);
    return result.ok ? result.config.billing : undefined;
  }

  /** Queues every interval closed since the last run; the first run starts with the newest closed interval. */
  private async closeIntervals(settings: BillingExportSettings, now: number): Promise<void> {
    const through = closedThrough(now, settings.intervalMs);
    const last = this.sql.exec<{ closed_through: number }>("SELECT closed_through FROM export_state").toArray()[0]?.closed_through;
    const from = last ?? through - settings.intervalMs;
    for (const start of intervalsBetween(from, through, now, settings.intervalMs, INTERVALS_PER_RUN)) {
      await this.queueInterval(settings, start, now, false);
      this.sql.exec("INSERT OR REPLACE INTO export_state (id, closed_through) VALUES (1, ?)", start + settings.intervalMs);
    }
  }

  /** Stores one interval's events; `again` re-queues events already held (a resend), else they are left as they are. */
  private async queueInterval(settings: BillingExportSettings, start: number, now: number, again: boolean) {
    const usage = await identityUsageIn(database(this.env.DB), start, start + settings.intervalMs);
    let events = 0;
    let skipped = 0;
    for (const row of usage) {
      const made = billingEvent(settings, row);
      if ("skipped" in made) {
        skipped++;
        this.sql.exec(
          "INSERT OR REPLACE INTO skipped (identity_id, interval_start, reason) VALUES (?, ?, ?)",
          row.identityId,
          start,
          made.skipped,
        );
        continue;
      }
      events++;
      this.sql.exec("DELETE FROM skipped WHERE identity_id = ? AND interval_start <= ?", row.identityId, start);
      const { event } = made;
      this.sql.exec(
        `INSERT INTO events (id, identity_id, interval_start, body, status, queued_at, next_at) VALUES (?, ?, ?, ?, 'pending', ?, ?)
         ON CONFLICT (id) DO ${again ? "UPDATE SET body = excluded.body, status = 'pending', queued_at = excluded.queued_at, next_at = excluded.next_at" : "NOTHING"}`,
        event.id,
        event.identityId,
        event.intervalStart,
        event.body,
        now,
        now,
      );
    }
    return { events, skipped };
  }

  private async attempt(settings: BillingExportSettings, token: string, row: EventRow): Promise<void> {
    const started = Date.now();
    let status: number | null = null;
    let error: string | null = null;
    try {
      const response = await fetch(settings.url, {
        ...eventRequest(settings, token, row.body),
        signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS),
      });
      status = response.status;
      await response.body?.cancel();
      if (status < 200 || status > 299) error = `HTTP ${status}`;
    } catch (cause) {
      error = cause instanceof Error && cause.name === "TimeoutError" ? "timeout" : "connection failed";
    }
    const now = Date.now();
    this.sql.exec(
      "INSERT INTO attempts (event_id, at, status, error, duration_ms) VALUES (?, ?, ?, ?, ?)",
      row.id,
      started,
      status,
      error,
      now - started,
    );
    if (error === null) {
      this.sql.exec("UPDATE events SET status = 'sent', next_at = NULL WHERE id = ?", row.id);
      return;
    }
    const failures = this.sql
      .exec<{ n: number }>("SELECT count(*) AS n FROM attempts WHERE event_id = ? AND at >= ?", row.id, row.queued_at)
      .one().n;
    const next = retryable(status) ? nextAttemptAt(row.queued_at, now, failures, this.retryBaseMs()) : null;
    if (next === null) this.sql.exec("UPDATE events SET status = 'failed', next_at = NULL WHERE id = ?", row.id);
    else this.sql.exec("UPDATE events SET next_at = ? WHERE id = ?", next, row.id);
  }

  /** Retries wait as webhook deliveries' do (`WEBHOOK_RETRY_BASE_MS`). */
  private retryBaseMs(): number {
    const value = Number(this.env.WEBHOOK_RETRY_BASE_MS);
    return Number.isInteger(value) && value >= 1 && value <= 10_000 ? value : DEFAULT_RETRY_BASE_MS;
  }

  /** The next due event, or the next interval's close, whichever comes first. */
  private async scheduleAlarm(settings: BillingExportSettings): Promise<void> {
    const next = this.sql.exec<{ at: number | null }>("SELECT min(next_at) AS at FROM events WHERE status = 'pending'").one().at;
    const closed = this.sql.exec<{ closed_through: number }>("SELECT closed_through FROM export_state").toArray()[0]?.closed_through;
    const nextClose = closed === undefined ? Date.now() : closed + settings.intervalMs + SETTLE_MS;
    await this.ctx.storage.setAlarm(next === null ? nextClose : Math.min(next, nextClose));
  }
}
