// The usage export's outbox (BillingOutbox, docs/billing.md): closes intervals, queues one event
// per identity and interval, and sends them to the billing vendor with retries from its alarm.
import { DurableObject } from "cloudflare:workers";
import { and, asc, count, desc, eq, gte, inArray, isNotNull, lt, lte, max, min, ne, or } from "drizzle-orm";
import { database } from "../db/client";
import type { Env } from "../env";
import { lazy } from "../lazy";
import { type ObjectDatabase, objectDatabase } from "../objects/database";
import { billingAttempts, billingEvents, exportState, skipped as skippedTable } from "../objects/schema";
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

type EventRow = typeof billingEvents.$inferSelect;

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
  private readonly db: ObjectDatabase;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    migrateSchema(ctx.storage, OUTBOX_SCHEMA);
    this.db = objectDatabase(ctx.storage);
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
    const counts = new Map(
      this.db
        .select({ status: billingEvents.status, n: count() })
        .from(billingEvents)
        .groupBy(billingEvents.status)
        .all()
        .map((row) => [row.status, row.n]),
    );
    const lastAt = max(billingAttempts.at);
    const failures = this.db
      .select({
        id: billingEvents.id,
        identityId: billingEvents.identityId,
        intervalStart: billingEvents.intervalStart,
        attempts: count(billingAttempts.at),
        lastAttemptAt: lastAt,
      })
      .from(billingEvents)
      .innerJoin(billingAttempts, eq(billingAttempts.eventId, billingEvents.id))
      .where(
        or(
          eq(billingEvents.status, "failed"),
          and(eq(billingEvents.status, "pending"), isNotNull(billingAttempts.error), gte(billingAttempts.at, billingEvents.queuedAt)),
        ),
      )
      .groupBy(billingEvents.id)
      .orderBy(desc(lastAt))
      .limit(50)
      .all()
      .map((row) => {
        const last = this.db
          .select({ status: billingAttempts.status, error: billingAttempts.error })
          .from(billingAttempts)
          .where(eq(billingAttempts.eventId, row.id))
          .orderBy(desc(billingAttempts.at))
          .limit(1)
          .get();
        return { ...row, lastStatus: last?.status ?? null, lastError: last?.error ?? null };
      });
    const skipped = this.db
      .select({ identityId: skippedTable.identityId, intervalStart: skippedTable.intervalStart, reason: skippedTable.reason })
      .from(skippedTable)
      .orderBy(desc(skippedTable.intervalStart), asc(skippedTable.identityId))
      .limit(100)
      .all();
    return {
      closedThrough: this.closedThrough() ?? null,
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
    const expired = and(ne(billingEvents.status, "pending"), lt(billingEvents.queuedAt, now - HISTORY_MS));
    this.db
      .delete(billingAttempts)
      .where(inArray(billingAttempts.eventId, this.db.select({ id: billingEvents.id }).from(billingEvents).where(expired)))
      .run();
    this.db.delete(billingEvents).where(expired).run();
    await this.closeIntervals(settings, now);
    const token = String(this.env.BILLING_EXPORT_TOKEN ?? "");
    const due = this.db
      .select()
      .from(billingEvents)
      .where(and(eq(billingEvents.status, "pending"), lte(billingEvents.nextAt, now)))
      .orderBy(asc(billingEvents.nextAt))
      .limit(ATTEMPTS_PER_RUN)
      .all();
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
    const from = this.closedThrough() ?? through - settings.intervalMs;
    for (const start of intervalsBetween(from, through, now, settings.intervalMs, INTERVALS_PER_RUN)) {
      await this.queueInterval(settings, start, now, false);
      const closed = start + settings.intervalMs;
      this.db
        .insert(exportState)
        .values({ id: 1, closedThrough: closed })
        .onConflictDoUpdate({ target: exportState.id, set: { closedThrough: closed } })
        .run();
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
        this.db
          .insert(skippedTable)
          .values({ identityId: row.identityId, intervalStart: start, reason: made.skipped })
          .onConflictDoUpdate({ target: skippedTable.identityId, set: { intervalStart: start, reason: made.skipped } })
          .run();
        continue;
      }
      events++;
      this.db
        .delete(skippedTable)
        .where(and(eq(skippedTable.identityId, row.identityId), lte(skippedTable.intervalStart, start)))
        .run();
      const { event } = made;
      const insert = this.db.insert(billingEvents).values({
        id: event.id,
        identityId: event.identityId,
        intervalStart: event.intervalStart,
        body: event.body,
        status: "pending",
        queuedAt: now,
        nextAt: now,
      });
      if (again)
        insert
          .onConflictDoUpdate({ target: billingEvents.id, set: { body: event.body, status: "pending", queuedAt: now, nextAt: now } })
          .run();
      else insert.onConflictDoNothing({ target: billingEvents.id }).run();
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
    this.db
      .insert(billingAttempts)
      .values({ eventId: row.id, at: started, status, error, durationMs: now - started })
      .run();
    if (error === null) {
      this.db.update(billingEvents).set({ status: "sent", nextAt: null }).where(eq(billingEvents.id, row.id)).run();
      return;
    }
    const failures =
      this.db
        .select({ n: count() })
        .from(billingAttempts)
        .where(and(eq(billingAttempts.eventId, row.id), gte(billingAttempts.at, row.queuedAt)))
        .get()?.n ?? 0;
    const next = retryable(status) ? nextAttemptAt(row.queuedAt, now, failures, this.retryBaseMs()) : null;
    this.db
      .update(billingEvents)
      .set(next === null ? { status: "failed", nextAt: null } : { nextAt: next })
      .where(eq(billingEvents.id, row.id))
      .run();
  }

  /** Retries wait as webhook deliveries' do (`WEBHOOK_RETRY_BASE_MS`). */
  private retryBaseMs(): number {
    const value = Number(this.env.WEBHOOK_RETRY_BASE_MS);
    return Number.isInteger(value) && value >= 1 && value <= 10_000 ? value : DEFAULT_RETRY_BASE_MS;
  }

  /** The next due event, or the next interval's close, whichever comes first. */
  private async scheduleAlarm(settings: BillingExportSettings): Promise<void> {
    const next = this.db
      .select({ at: min(billingEvents.nextAt) })
      .from(billingEvents)
      .where(eq(billingEvents.status, "pending"))
      .get()?.at;
    const closed = this.closedThrough();
    const nextClose = closed === undefined ? Date.now() : closed + settings.intervalMs + SETTLE_MS;
    await this.ctx.storage.setAlarm(next === null || next === undefined ? nextClose : Math.min(next, nextClose));
  }

  /** End of the newest interval closed; undefined before the first. */
  private closedThrough(): number | undefined {
    return this.db.select({ at: exportState.closedThrough }).from(exportState).get()?.at;
  }
}
