// Usage counted in the key and identity objects: hourly rows per key, route and outcome, their
// schema steps, and their copy to D1's usage rollups (docs/usage.md).
import { and, eq, lt } from "drizzle-orm";
import type { Database } from "../db/client";
import { usageRollups } from "../db/schema";

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;
/** Hourly rows older than this are dropped: usage reports reach back about 13 months. */
const RETENTION_MS = 400 * DAY_MS;

export type UsageOutcome = "allowed" | "rate_limited" | "quota_exceeded";

export interface UsageBucket {
  /** Epoch ms of the bucket's first instant (UTC). */
  start: number;
  allowed: number;
  rateLimited: number;
  quotaExceeded: number;
}

const COLUMN: Record<UsageOutcome, string> = { allowed: "allowed", rate_limited: "rate_limited", quota_exceeded: "quota_exceeded" };

/** The route of counts made before routes were recorded. */
export const UNKNOWN_ROUTE = "unknown";

/**
 * Key object schema step: counts per hour and route, each row marked until its copy to D1, and
 * the key the object belongs to (the copy names it). Existing counts move under UNKNOWN_ROUTE.
 */
export const USAGE_BY_ROUTE_STEP = `CREATE TABLE usage_route_hours (hour INTEGER NOT NULL, route TEXT NOT NULL, allowed INTEGER NOT NULL DEFAULT 0, rate_limited INTEGER NOT NULL DEFAULT 0, quota_exceeded INTEGER NOT NULL DEFAULT 0, copied INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (hour, route)) WITHOUT ROWID;
INSERT INTO usage_route_hours (hour, route, allowed, rate_limited, quota_exceeded) SELECT hour, '${UNKNOWN_ROUTE}', allowed, rate_limited, quota_exceeded FROM usage_hours;
DROP TABLE usage_hours;
CREATE TABLE usage_owner (id INTEGER PRIMARY KEY CHECK (id = 1), key_id TEXT NOT NULL);`;

/**
 * Key object schema step: counts also per key, as an identity's object counts for all its keys.
 * Rows of a key object move under its owner; '' marks rows whose key is not known yet.
 */
export const USAGE_BY_KEY_STEP = `CREATE TABLE usage_key_hours (key_id TEXT NOT NULL, hour INTEGER NOT NULL, route TEXT NOT NULL, allowed INTEGER NOT NULL DEFAULT 0, rate_limited INTEGER NOT NULL DEFAULT 0, quota_exceeded INTEGER NOT NULL DEFAULT 0, copied INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (key_id, hour, route)) WITHOUT ROWID;
INSERT INTO usage_key_hours (key_id, hour, route, allowed, rate_limited, quota_exceeded, copied) SELECT COALESCE((SELECT key_id FROM usage_owner), ''), hour, route, allowed, rate_limited, quota_exceeded, copied FROM usage_route_hours;
DROP TABLE usage_route_hours;
DROP TABLE usage_owner;`;

type KeyHourRow = { key_id: string; hour: number; route: string; allowed: number; rate_limited: number; quota_exceeded: number };

/** Stands for the key a key object belongs to until it learns the key's id. */
const UNKNOWN_KEY = "";

/**
 * Per-hour request counts by key, route and outcome, in a Durable Object (table `usage_key_hours`):
 * a key's object counts its key, an identity's object each of its keys. Written in the same turn
 * as the decision, copied to D1 by `copyToD1`.
 */
export class HourlyUsage {
  private lastHour = 0;
  private ownerKnown = false;

  constructor(private readonly sql: SqlStorage) {}

  /** `keyId` undefined: the key of a key object that has not learnt its id yet (see `ownedBy`). */
  record(now: number, keyId: string | undefined, route: string, outcome: UsageOutcome, count = 1): void {
    const hour = now - (now % HOUR_MS);
    const column = COLUMN[outcome];
    this.sql.exec(
      `INSERT INTO usage_key_hours (key_id, hour, route, ${column}) VALUES (?, ?, ?, ?) ON CONFLICT(key_id, hour, route) DO UPDATE SET ${column} = ${column} + excluded.${column}, copied = 0`,
      keyId ?? UNKNOWN_KEY,
      hour,
      route,
      count,
    );
    if (hour !== this.lastHour) {
      this.lastHour = hour;
      this.sql.exec("DELETE FROM usage_key_hours WHERE hour < ?", hour - RETENTION_MS);
    }
  }

  /** A key object's key: counts made before it was known become its own (once per object start). */
  ownedBy(keyId: string): void {
    if (this.ownerKnown) return;
    this.ownerKnown = true;
    const orphans = this.sql.exec<KeyHourRow>("SELECT * FROM usage_key_hours WHERE key_id = ?", UNKNOWN_KEY).toArray();
    if (orphans.length === 0) return;
    this.sql.exec("DELETE FROM usage_key_hours WHERE key_id = ?", UNKNOWN_KEY);
    for (const row of orphans)
      this.sql.exec(
        "INSERT INTO usage_key_hours (key_id, hour, route, allowed, rate_limited, quota_exceeded) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(key_id, hour, route) DO UPDATE SET allowed = allowed + excluded.allowed, rate_limited = rate_limited + excluded.rate_limited, quota_exceeded = quota_exceeded + excluded.quota_exceeded, copied = 0",
        keyId,
        row.hour,
        row.route,
        row.allowed,
        row.rate_limited,
        row.quota_exceeded,
      );
  }

  /** Hours with any traffic in [from, to), all routes together; of one key, or of every key counted here. */
  read(from: number, to: number, keyId?: string): UsageBucket[] {
    const rows =
      keyId === undefined
        ? this.sql.exec<KeyHourRow>(
            "SELECT hour, SUM(allowed) AS allowed, SUM(rate_limited) AS rate_limited, SUM(quota_exceeded) AS quota_exceeded FROM usage_key_hours WHERE hour >= ? AND hour < ? GROUP BY hour ORDER BY hour",
            from,
            to,
          )
        : this.sql.exec<KeyHourRow>(
            "SELECT hour, SUM(allowed) AS allowed, SUM(rate_limited) AS rate_limited, SUM(quota_exceeded) AS quota_exceeded FROM usage_key_hours WHERE key_id = ? AND hour >= ? AND hour < ? GROUP BY hour ORDER BY hour",
            keyId,
            from,
            to,
          );
    return rows
      .toArray()
      .map((row) => ({ start: row.hour, allowed: row.allowed, rateLimited: row.rate_limited, quotaExceeded: row.quota_exceeded }));
  }

  /** Whether counts of known keys changed since their last copy to D1 (rows of an unknown key never go). */
  hasUncopied(): boolean {
    return this.sql.exec("SELECT 1 FROM usage_key_hours WHERE copied = 0 AND key_id != ? LIMIT 1", UNKNOWN_KEY).toArray().length > 0;
  }

  /**
   * Copies the rows of known keys changed since their last copy to D1. They are marked copied before
   * the write (in the same synchronous turn, so no count slips between), and marked back if it fails.
   */
  async copyToD1(db: Database): Promise<void> {
    const changed = this.sql
      .exec<KeyHourRow>(
        "SELECT key_id, hour, route, allowed, rate_limited, quota_exceeded FROM usage_key_hours WHERE copied = 0 AND key_id != ?",
        UNKNOWN_KEY,
      )
      .toArray();
    if (changed.length === 0) return;
    this.sql.exec("UPDATE usage_key_hours SET copied = 1 WHERE copied = 0 AND key_id != ?", UNKNOWN_KEY);
    const byKey = new Map<string, KeyHourRow[]>();
    for (const row of changed) byKey.set(row.key_id, [...(byKey.get(row.key_id) ?? []), row]);
    try {
      for (const [keyId, rows] of byKey)
        await writeUsageRollups(
          db,
          keyId,
          rows.map((row) => ({
            hour: row.hour,
            route: row.route,
            allowed: row.allowed,
            rateLimited: row.rate_limited,
            quotaExceeded: row.quota_exceeded,
          })),
        );
    } catch (error) {
      for (const row of changed)
        this.sql.exec("UPDATE usage_key_hours SET copied = 0 WHERE key_id = ? AND hour = ? AND route = ?", row.key_id, row.hour, row.route);
      throw error;
    }
  }
}

export type Granularity = "hour" | "day";

/** Every bucket of [from, to) at the granularity, zero-filled, from the hourly rows (UTC days). */
export function rollUp(hours: UsageBucket[], from: number, to: number, granularity: Granularity): UsageBucket[] {
  const size = granularity === "hour" ? HOUR_MS : DAY_MS;
  const buckets: UsageBucket[] = [];
  const index = new Map<number, UsageBucket>();
  for (let start = from - (from % size); start < to; start += size) {
    const bucket = { start, allowed: 0, rateLimited: 0, quotaExceeded: 0 };
    buckets.push(bucket);
    index.set(start, bucket);
  }
  for (const hour of hours) {
    const bucket = index.get(hour.start - (hour.start % size));
    if (!bucket) continue;
    bucket.allowed += hour.allowed;
    bucket.rateLimited += hour.rateLimited;
    bucket.quotaExceeded += hour.quotaExceeded;
  }
  return buckets;
}

export interface RouteHourCounts {
  hour: number;
  route: string;
  allowed: number;
  rateLimited: number;
  quotaExceeded: number;
}

/**
 * Overwrites one key's D1 rollup rows with the object's running totals (so a repeated copy is
 * harmless) and drops its rows past the retention, in one batch.
 */
export async function writeUsageRollups(db: Database, keyId: string, rows: RouteHourCounts[]): Promise<void> {
  if (rows.length === 0) return;
  const upserts = rows.map((row) =>
    db
      .insert(usageRollups)
      .values({ keyId, ...row })
      .onConflictDoUpdate({
        target: [usageRollups.keyId, usageRollups.route, usageRollups.hour],
        set: { allowed: row.allowed, rateLimited: row.rateLimited, quotaExceeded: row.quotaExceeded },
      }),
  );
  const newest = Math.max(...rows.map((row) => row.hour));
  await db.batch([
    db.delete(usageRollups).where(and(eq(usageRollups.keyId, keyId), lt(usageRollups.hour, newest - RETENTION_MS))),
    ...upserts,
  ]);
}
