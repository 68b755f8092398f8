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

/** Per-hour request counts by outcome, in the key's Durable Object (table `usage_hours`): written in the same turn as the decision. */
export class HourlyUsage {
  private lastHour = 0;

  constructor(private readonly sql: SqlStorage) {}

  record(now: number, outcome: UsageOutcome, count = 1): void {
    const hour = now - (now % HOUR_MS);
    const column = COLUMN[outcome];
    this.sql.exec(
      `INSERT INTO usage_hours (hour, ${column}) VALUES (?, ?) ON CONFLICT(hour) DO UPDATE SET ${column} = ${column} + excluded.${column}`,
      hour,
      count,
    );
    if (hour !== this.lastHour) {
      this.lastHour = hour;
      this.sql.exec("DELETE FROM usage_hours WHERE hour < ?", hour - RETENTION_MS);
    }
  }

  /** Hours with any traffic in [from, to). */
  read(from: number, to: number): UsageBucket[] {
    return this.sql
      .exec<{ hour: number; allowed: number; rate_limited: number; quota_exceeded: number }>(
        "SELECT hour, allowed, rate_limited, quota_exceeded FROM usage_hours WHERE hour >= ? AND hour < ? ORDER BY hour",
        from,
        to,
      )
      .toArray()
      .map((row) => ({ start: row.hour, allowed: row.allowed, rateLimited: row.rate_limited, quotaExceeded: row.quota_exceeded }));
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
