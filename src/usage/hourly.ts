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

type RouteHourRow = { hour: number; route: string; allowed: number; rate_limited: number; quota_exceeded: number };

/**
 * Per-hour request counts by route and outcome, in the key's Durable Object (table
 * `usage_route_hours`): written in the same turn as the decision, copied to D1 by `copyToD1`.
 */
export class HourlyUsage {
  private lastHour = 0;
  private owner: string | undefined;

  constructor(private readonly sql: SqlStorage) {
    this.owner = sql.exec<{ key_id: string }>("SELECT key_id FROM usage_owner").toArray()[0]?.key_id;
  }

  record(now: number, route: string, outcome: UsageOutcome, count = 1): void {
    const hour = now - (now % HOUR_MS);
    const column = COLUMN[outcome];
    this.sql.exec(
      `INSERT INTO usage_route_hours (hour, route, ${column}) VALUES (?, ?, ?) ON CONFLICT(hour, route) DO UPDATE SET ${column} = ${column} + excluded.${column}, copied = 0`,
      hour,
      route,
      count,
    );
    if (hour !== this.lastHour) {
      this.lastHour = hour;
      this.sql.exec("DELETE FROM usage_route_hours WHERE hour < ?", hour - RETENTION_MS);
    }
  }

  /** The key these counts belong to, kept for the copy to D1 (written once). */
  ownedBy(keyId: string): void {
    if (this.owner === keyId) return;
    this.owner = keyId;
    this.sql.exec("INSERT OR REPLACE INTO usage_owner (id, key_id) VALUES (1, ?)", keyId);
  }

  /** Hours with any traffic in [from, to), all routes together. */
  read(from: number, to: number): UsageBucket[] {
    return this.sql
      .exec<{ hour: number; allowed: number; rate_limited: number; quota_exceeded: number }>(
        "SELECT hour, SUM(allowed) AS allowed, SUM(rate_limited) AS rate_limited, SUM(quota_exceeded) AS quota_exceeded FROM usage_route_hours WHERE hour >= ? AND hour < ? GROUP BY hour ORDER BY hour",
        from,
        to,
      )
      .toArray()
      .map((row) => ({ start: row.hour, allowed: row.allowed, rateLimited: row.rate_limited, quotaExceeded: row.quota_exceeded }));
  }

  /**
   * Copies the rows changed since their last copy to D1. They are marked copied before the write
   * (in the same synchronous turn, so no count slips between), and marked back if it fails.
   */
  async copyToD1(db: Database): Promise<void> {
    const keyId = this.owner;
    if (keyId === undefined) return;
    const changed = this.sql
      .exec<RouteHourRow>("SELECT hour, route, allowed, rate_limited, quota_exceeded FROM usage_route_hours WHERE copied = 0")
      .toArray();
    if (changed.length === 0) return;
    this.sql.exec("UPDATE usage_route_hours SET copied = 1 WHERE copied = 0");
    try {
      await writeUsageRollups(
        db,
        keyId,
        changed.map((row) => ({
          hour: row.hour,
          route: row.route,
          allowed: row.allowed,
          rateLimited: row.rate_limited,
          quotaExceeded: row.quota_exceeded,
        })),
      );
    } catch (error) {
      for (const row of changed) this.sql.exec("UPDATE usage_route_hours SET copied = 0 WHERE hour = ? AND route = ?", row.hour, row.route);
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
