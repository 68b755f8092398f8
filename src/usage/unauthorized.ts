// Requests refused with 401 for their key (none, unknown, expired, revoked, disabled) counted per route
// and hour: they belong to no key, so no key's object counts them. Each isolate adds its counts up and
// writes them to D1 (`unauthorized_rollups`) one batch at a time (docs/usage.md "401s").
import { DAY_MS, HOUR_MS } from "./hourly";

/** The 401 codes of the proxy path: a request refused for its credential. */
const UNAUTHORIZED_CODES: ReadonlySet<string> = new Set(["missing_key", "invalid_key", "expired_key", "revoked_key", "disabled_key"]);

export const isUnauthorizedOutcome = (outcome: string): boolean => UNAUTHORIZED_CODES.has(outcome);

/** Rows older than this are dropped, as the key rollups are (src/usage/hourly.ts). */
const RETENTION_MS = 400 * DAY_MS;

const UPSERT =
  "INSERT INTO unauthorized_rollups (route, hour, requests) VALUES (?, ?, ?) ON CONFLICT(route, hour) DO UPDATE SET requests = requests + excluded.requests";

interface Pending {
  route: string;
  hour: number;
  requests: number;
}

/** This isolate's counts not written yet, by hour and route. */
const pending = new Map<string, Pending>();
/**
 * The request writing this isolate's counts: it writes until none are left, so a flood costs one batch
 * per D1 round trip, not one per request, and no promise crosses requests. One older than
 * WRITER_GIVEN_UP_MS is taken for gone (its request was cancelled) and replaced.
 */
let writer: { since: number } | undefined;
/** How long one request keeps writing (well within waitUntil's 30 s); the next 401 takes over. */
const WRITER_MS = 10_000;
const WRITER_GIVEN_UP_MS = 30_000;
/** The newest hour whose retention this isolate has applied. */
let prunedHour = 0;

/**
 * Counts one 401 on `route`. Returns the writing for waitUntil when this request writes, or
 * undefined when another request's writing takes this count along.
 */
export function countUnauthorized(db: D1Database, route: string, now = Date.now()): Promise<void> | undefined {
  const hour = now - (now % HOUR_MS);
  const id = `${hour} ${route}`;
  const counted = pending.get(id);
  if (counted) counted.requests++;
  else pending.set(id, { route, hour, requests: 1 });
  if (writer && now - writer.since < WRITER_GIVEN_UP_MS) return undefined;
  const self = { since: now };
  writer = self;
  return drain(db, self);
}

async function drain(db: D1Database, self: { since: number }): Promise<void> {
  try {
    while (pending.size > 0 && Date.now() - self.since < WRITER_MS) if (!(await write(db))) return;
  } finally {
    if (writer === self) writer = undefined;
  }
}

/** Writes what is pending in one batch; false (counts kept for a later write) when D1 refused. */
async function write(db: D1Database): Promise<boolean> {
  const rows = [...pending.values()];
  pending.clear();
  const newest = Math.max(...rows.map((row) => row.hour));
  const prune = newest > prunedHour;
  try {
    await db.batch([
      ...(prune ? [db.prepare("DELETE FROM unauthorized_rollups WHERE hour < ?").bind(newest - RETENTION_MS)] : []),
      ...rows.map((row) => db.prepare(UPSERT).bind(row.route, row.hour, row.requests)),
    ]);
    if (prune) prunedHour = newest;
    return true;
  } catch (error) {
    for (const row of rows) {
      const id = `${row.hour} ${row.route}`;
      const counted = pending.get(id);
      if (counted) counted.requests += row.requests;
      else pending.set(id, row);
    }
    console.warn(`401 counts not written: ${String(error)}`);
    return false;
  }
}
