/**
 * `npm run bench:objects`: what drizzle's durable-sqlite driver adds per call over a raw `sql.exec`,
 * for the object's hot-path statements (the usage upsert, the quota read). node:sqlite stands in for
 * the object's SqlStorage, so the figures are the query builder's and row mapper's cost, not workerd's.
 */
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/durable-sqlite";
import { quotaUsage, usageKeyHours } from "../src/objects/schema.ts";

const CALLS = 50_000;

const sqlite = new DatabaseSync(":memory:");
sqlite.exec(`CREATE TABLE usage_key_hours (key_id TEXT NOT NULL, hour INTEGER NOT NULL, route TEXT NOT NULL, allowed INTEGER NOT NULL DEFAULT 0, rate_limited INTEGER NOT NULL DEFAULT 0, quota_exceeded INTEGER NOT NULL DEFAULT 0, copied INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (key_id, hour, route)) WITHOUT ROWID;
CREATE TABLE quota_usage (id INTEGER PRIMARY KEY CHECK (id = 1), period TEXT NOT NULL, period_start INTEGER NOT NULL, used INTEGER NOT NULL);
INSERT INTO quota_usage VALUES (1, 'total', 0, 5);`);

type Value = string | number | null;
const statements = new Map<string, StatementSync>();
/** SqlStorage's `exec` over node:sqlite, statements cached as workerd caches them. */
function exec(query: string, ...params: Value[]) {
  let statement = statements.get(query);
  if (!statement) {
    statement = sqlite.prepare(query);
    statements.set(query, statement);
  }
  const reads = /^\s*select/i.test(query);
  const rows = reads ? (statement.all(...params) as Record<string, Value>[]) : [];
  if (!reads) statement.run(...params);
  return {
    toArray: () => rows,
    raw: () => ({ toArray: () => rows.map((row) => Object.values(row)) }),
    next: () => ({ value: rows[0], done: rows.length === 0 }),
  };
}
// The driver calls only `sql.exec` and `transactionSync`.
const storage = { sql: { exec }, transactionSync: <T>(run: () => T) => run() };
const orm = drizzle(storage as unknown as Parameters<typeof drizzle>[0]);

function microseconds(run: (i: number) => void): number {
  for (let i = 0; i < 2_000; i++) run(i);
  const start = process.hrtime.bigint();
  for (let i = 0; i < CALLS; i++) run(i);
  return Number(process.hrtime.bigint() - start) / 1_000 / CALLS;
}

const rawUpsert =
  "INSERT INTO usage_key_hours (key_id, hour, route, allowed) VALUES (?, ?, ?, ?) ON CONFLICT(key_id, hour, route) DO UPDATE SET allowed = allowed + excluded.allowed, copied = 0";
const upsertTarget = [usageKeyHours.keyId, usageKeyHours.hour, usageKeyHours.route];
const upsertSet = { allowed: sql`${usageKeyHours.allowed} + excluded.allowed`, copied: 0 };
const preparedUpsert = orm
  .insert(usageKeyHours)
  .values({
    keyId: sql.placeholder("key"),
    hour: sql.placeholder("hour"),
    route: sql.placeholder("route"),
    allowed: sql.placeholder("count"),
  })
  .onConflictDoUpdate({ target: upsertTarget, set: upsertSet })
  .prepare();
const quotaColumns = { period: quotaUsage.period, periodStart: quotaUsage.periodStart, used: quotaUsage.used };
const preparedRead = orm.select(quotaColumns).from(quotaUsage).prepare();

const results = {
  "usage upsert, raw sql.exec": microseconds((i) => exec(rawUpsert, "key", i % 24, "/api/*", 1)),
  "usage upsert, drizzle built per call": microseconds((i) =>
    orm
      .insert(usageKeyHours)
      .values({ keyId: "key", hour: i % 24, route: "/api/*", allowed: 1 })
      .onConflictDoUpdate({ target: upsertTarget, set: upsertSet })
      .run(),
  ),
  "usage upsert, drizzle prepared": microseconds((i) => preparedUpsert.run({ key: "key", hour: i % 24, route: "/api/*", count: 1 })),
  "quota read, raw sql.exec": microseconds(() => exec("SELECT period, period_start, used FROM quota_usage").toArray()),
  "quota read, drizzle built per call": microseconds(() => orm.select(quotaColumns).from(quotaUsage).all()),
  "quota read, drizzle prepared": microseconds(() => preparedRead.all()),
};
for (const [name, us] of Object.entries(results)) console.log(`${name}: ${us.toFixed(2)} µs/call`);
