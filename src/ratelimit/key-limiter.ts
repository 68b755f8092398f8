import { DurableObject } from "cloudflare:workers";
import { database } from "../db/client";
import type { QuotaSpec } from "../db/schema";
import type { Env } from "../env";
import { type KeyRefusal, type KeyStatus, refusal } from "../keys/record";
import { recordLastUse } from "../keys/store";
import { HourlyUsage, type UsageBucket } from "../usage/hourly";
import {
  type CheckInput,
  type KeyInspection,
  type LimitDecision,
  type LimitRequest,
  nearestExhaustion,
  type PolicyState,
} from "./decision";
import { QuotaCounter } from "./quota";
import { countedUnits, decide, type LimitState, nextReleaseMs, SlidingWindow } from "./sliding-window";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS windows (id TEXT PRIMARY KEY, window_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS window_entries (id TEXT NOT NULL, end_ms REAL NOT NULL, start_ms REAL NOT NULL, count REAL NOT NULL, PRIMARY KEY (id, end_ms)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS key_status (id INTEGER PRIMARY KEY CHECK (id = 1), status TEXT NOT NULL);
`;

interface KeyVerdict {
  refused: KeyRefusal | undefined;
  quota: QuotaSpec | null;
  expiresAt: number | null;
  secretExpiresAt: number | null;
}

const toSeconds = (ms: number) => Math.max(0, Math.ceil(ms / 1000));

/** How long a key's last use may wait before it is copied to D1 (by alarm, off the request path). */
export const LAST_USED_FLUSH_MS = 60_000;
const LAST_USED_SCHEMA = `CREATE TABLE IF NOT EXISTS last_used (id INTEGER PRIMARY KEY CHECK (id = 1), key_id TEXT NOT NULL, at INTEGER NOT NULL);`;

/**
 * One per key (or per client IP on anonymous routes). It decides every limit of a request in
 * one synchronous step, so concurrent requests are serialised and a denial consumes nothing,
 * and it holds the newest key status it has been told, so revocation applies everywhere at once.
 * State lives in the object's SQLite; writes made in one turn are flushed together before the
 * answer leaves (the output gate), so a decision is never acknowledged and then lost.
 */
export class KeyLimiter extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private readonly windows = new Map<string, SlidingWindow>();
  private status: KeyStatus | undefined;
  private readonly quota: QuotaCounter;
  private readonly usage: HourlyUsage;
  private flushScheduled = false;
  private lastUseWritten = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(SCHEMA);
    this.loadWindows();
    const saved = this.sql.exec<{ status: string }>("SELECT status FROM key_status").toArray()[0];
    if (saved) this.status = JSON.parse(saved.status) as KeyStatus;
    this.quota = new QuotaCounter(this.sql);
    this.usage = new HourlyUsage(this.sql);
    this.sql.exec(LAST_USED_SCHEMA);
  }

  /** Decides one request: key validity, then all its limits at once. */
  check(input: CheckInput): LimitDecision {
    const now = Date.now();
    let quota: QuotaSpec | null = null;
    if (input.key) {
      const verdict = this.judge(input.key, now);
      if (verdict.refused) return { outcome: verdict.refused, policies: [], nearest: -1 };
      quota = verdict.quota;
    }
    if (input.key && input.refusedLocally) this.usage.record(now, "rate_limited", input.refusedLocally);
    // Quota is judged before the windows are touched: a request it refuses consumes no rate limit.
    if (quota && !this.quota.fits(quota, input.cost, now)) {
      if (input.key) this.usage.record(now, "quota_exceeded");
      const policies = this.peek(input.limits);
      const state = this.quota.state(quota, now);
      return {
        outcome: "quota_exceeded",
        policies,
        nearest: nearestExhaustion(policies),
        quota: state,
        ...(state.reset !== null && { retryAfter: state.reset }),
      };
    }
    const states = input.limits.map((limit) => this.stateFor(limit));
    const decision = decide(states, now, input.cost);
    if (decision.allowed) {
      for (const [i, limit] of input.limits.entries()) this.persist(limit.id, states[i]!.window);
      if (quota) this.quota.consume(quota, input.cost, now);
      if (input.key?.keyId) this.noteUse(input.key.keyId, now);
    }
    if (input.key) this.usage.record(now, decision.allowed ? "allowed" : "rate_limited");
    const policies: PolicyState[] = input.limits.map((limit, i) => ({
      name: limit.name,
      limit: limit.limit,
      window: limit.window,
      remaining: decision.outcomes[i]!.remaining,
      reset: toSeconds(decision.outcomes[i]!.resetMs),
    }));
    if (!decision.allowed) {
      return {
        outcome: "rate_limited",
        policies,
        nearest: decision.deniedBy,
        retryAfter: Math.max(1, toSeconds(decision.retryAfterMs)),
        deniedUntil: now + decision.retryAfterMs,
      };
    }
    return { outcome: "allowed", policies, nearest: nearestExhaustion(policies), ...(quota && { quota: this.quota.state(quota, now) }) };
  }

  /** The key's validity, limits and quota as they stand, consuming nothing (`GET /_gateway/me`). */
  inspect(input: { limits: LimitRequest[]; key: NonNullable<CheckInput["key"]> }): KeyInspection {
    const now = Date.now();
    const verdict = this.judge(input.key, now);
    if (verdict.refused) return { outcome: verdict.refused, policies: [], quota: null, expiresAt: null };
    const { quota } = verdict;
    const ends = [verdict.expiresAt, verdict.secretExpiresAt].filter((t): t is number => t !== null);
    return {
      outcome: "allowed",
      policies: this.peek(input.limits),
      quota: quota ? this.quota.state(quota, now) : null,
      expiresAt: ends.length > 0 ? Math.min(...ends) : null,
    };
  }

  /** Copies the key's last use to D1; a failure throws, so the runtime retries the alarm. */
  override async alarm(): Promise<void> {
    this.flushScheduled = false;
    const row = this.sql.exec<{ key_id: string; at: number }>("SELECT key_id, at FROM last_used").toArray()[0];
    if (row) await recordLastUse(database(this.env.DB), row.key_id, row.at);
  }

  private noteUse(keyId: string, now: number): void {
    // A second's precision is all lastUsedAt needs; a write per request is not.
    if (now - this.lastUseWritten < 1000) return;
    this.lastUseWritten = now;
    this.sql.exec("INSERT OR REPLACE INTO last_used (id, key_id, at) VALUES (1, ?, ?)", keyId, now);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    void this.ctx.storage.setAlarm(now + LAST_USED_FLUSH_MS);
  }

  /** Hourly request counts by outcome in [from, to) (epoch ms). */
  usageBetween(from: number, to: number): UsageBucket[] {
    return this.usage.read(from, to);
  }

  /** Current remaining and reset for each limit, consuming nothing. */
  peek(limits: LimitRequest[]): PolicyState[] {
    const now = Date.now();
    return limits.map((limit) => {
      const state = this.stateFor(limit);
      state.window.prune(now);
      return {
        name: limit.name,
        limit: limit.limit,
        window: limit.window,
        remaining: Math.max(0, limit.limit - countedUnits(state, now)),
        reset: toSeconds(nextReleaseMs(state, now)),
      };
    });
  }

  /** An admin write tells the object the key's new status; older versions never override newer. */
  updateStatus(status: KeyStatus): void {
    this.reconcile(status);
  }

  /** The key's validity judged on the newest status known, and the quota that status carries. */
  private judge(key: NonNullable<CheckInput["key"]>, now: number): KeyVerdict {
    const status = this.reconcile(key.status);
    // A status pushed by an admin write knows every secret; a cached one only the presented secret.
    const known = Object.hasOwn(status.secretExpiry, key.secretId) ? status.secretExpiry : key.status.secretExpiry;
    const secretExpiresAt = known[key.secretId] ?? null;
    return {
      refused: refusal(status, secretExpiresAt, now),
      quota: status.quota !== undefined ? status.quota : (key.status.quota ?? null),
      expiresAt: status.expiresAt,
      secretExpiresAt,
    };
  }

  private reconcile(candidate: KeyStatus): KeyStatus {
    if (this.status && this.status.version >= candidate.version) return this.status;
    this.status = candidate;
    this.sql.exec("INSERT OR REPLACE INTO key_status (id, status) VALUES (1, ?)", JSON.stringify(candidate));
    return candidate;
  }

  private stateFor(limit: LimitRequest): LimitState {
    const windowMs = limit.window * 1000;
    let window = this.windows.get(limit.id);
    // A changed window length starts a fresh count: old entries were judged against another window.
    if (!window || window.windowMs !== windowMs) {
      window = new SlidingWindow(windowMs);
      this.windows.set(limit.id, window);
      this.sql.exec("DELETE FROM window_entries WHERE id = ?", limit.id);
      this.sql.exec("INSERT OR REPLACE INTO windows (id, window_ms) VALUES (?, ?)", limit.id, windowMs);
    }
    return { limit: limit.limit, window };
  }

  private loadWindows(): void {
    const entries = new Map<string, { starts: number[]; ends: number[]; counts: number[] }>();
    for (const row of this.sql.exec<{ id: string; end_ms: number; start_ms: number; count: number }>(
      "SELECT id, end_ms, start_ms, count FROM window_entries ORDER BY id, end_ms",
    )) {
      let log = entries.get(row.id);
      if (!log) {
        log = { starts: [], ends: [], counts: [] };
        entries.set(row.id, log);
      }
      log.starts.push(row.start_ms);
      log.ends.push(row.end_ms);
      log.counts.push(row.count);
    }
    for (const row of this.sql.exec<{ id: string; window_ms: number }>("SELECT id, window_ms FROM windows")) {
      const log = entries.get(row.id);
      this.windows.set(row.id, new SlidingWindow(row.window_ms, log?.ends, log?.counts, log?.starts));
    }
  }

  /** Writes only what the decision changed: typically one entry row, whatever the window holds. */
  private persist(id: string, window: SlidingWindow): void {
    const { prunedThrough, deletes, upserts } = window.takeChanges();
    if (prunedThrough !== undefined) this.sql.exec("DELETE FROM window_entries WHERE id = ? AND end_ms <= ?", id, prunedThrough);
    for (const end of deletes) this.sql.exec("DELETE FROM window_entries WHERE id = ? AND end_ms = ?", id, end);
    for (const [end, { start, count }] of upserts) {
      this.sql.exec(
        "INSERT INTO window_entries (id, end_ms, start_ms, count) VALUES (?, ?, ?, ?) ON CONFLICT (id, end_ms) DO UPDATE SET start_ms = excluded.start_ms, count = excluded.count",
        id,
        end,
        start,
        count,
      );
    }
  }
}
