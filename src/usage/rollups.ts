import { and, asc, desc, gte, inArray, isNotNull, lt, sql } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import type { Database } from "../db/client";
import { identities, keys, usageRollups } from "../db/schema";
import { DAY_MS, type Granularity, HOUR_MS, rollUp, type UsageBucket } from "./hourly";

export type UsageGroupBy = "key" | "outcome" | "route" | "identity";

export interface UsageReportQuery {
  /** Epoch ms: [from, to). */
  from: number;
  to: number;
  granularity: Granularity;
  groupBy: UsageGroupBy;
  /** Most groups to list (groupBy key, route or identity). */
  limit: number;
  keyIds?: string[];
}

interface Counts {
  allowed: number;
  rateLimited: number;
  quotaExceeded: number;
}

export interface UsageGroup {
  group: string;
  name?: string | null;
  total: Counts;
  buckets: UsageBucket[];
}

const iso = (ms: number) => new Date(ms).toISOString();
const requests = (c: Counts) => c.allowed + c.rateLimited + c.quotaExceeded;
const zero = (): Counts => ({ allowed: 0, rateLimited: 0, quotaExceeded: 0 });
const summed = (column: SQLiteColumn) => sql<number>`sum(${column})`.mapWith(Number);
const counts = {
  allowed: summed(usageRollups.allowed),
  rateLimited: summed(usageRollups.rateLimited),
  quotaExceeded: summed(usageRollups.quotaExceeded),
};
const busiest = sql`sum(${usageRollups.allowed} + ${usageRollups.rateLimited} + ${usageRollups.quotaExceeded})`;

function totalOf(buckets: UsageBucket[]): Counts {
  const total = zero();
  for (const b of buckets) {
    total.allowed += b.allowed;
    total.rateLimited += b.rateLimited;
    total.quotaExceeded += b.quotaExceeded;
  }
  return total;
}

/** Each outcome as a group of its own: its buckets count only that outcome. */
function outcomeGroups(totals: UsageBucket[]): UsageGroup[] {
  const only = (field: keyof Counts) => totals.map((b) => ({ ...zero(), start: b.start, [field]: b[field] }));
  const groups: UsageGroup[] = [
    { group: "allowed", buckets: only("allowed"), total: zero() },
    { group: "rate_limited", buckets: only("rateLimited"), total: zero() },
    { group: "quota_exceeded", buckets: only("quotaExceeded"), total: zero() },
  ];
  for (const g of groups) g.total = totalOf(g.buckets);
  return groups.sort((a, b) => requests(b.total) - requests(a.total));
}

/** What a group is: a rollup column, or (by identity) the identity its key belongs to now. */
function groupColumn(groupBy: Exclude<UsageGroupBy, "outcome">) {
  if (groupBy === "key") return usageRollups.keyId;
  if (groupBy === "route") return usageRollups.route;
  return sql<string>`(SELECT ${keys.identityId} FROM ${keys} WHERE ${keys.id} = ${usageRollups.keyId})`;
}

/**
 * All keys' usage from the rollups in one D1 batch: totals per bucket, the busiest `limit` groups
 * with their buckets, and (by key) their names. Buckets are summed in SQL, zero-filled here.
 */
export async function readUsageReport(db: Database, query: UsageReportQuery) {
  const size = query.granularity === "hour" ? HOUR_MS : DAY_MS;
  const firstHour = query.from - (query.from % HOUR_MS);
  const where = and(
    gte(usageRollups.hour, firstHour),
    lt(usageRollups.hour, query.to),
    query.keyIds ? inArray(usageRollups.keyId, query.keyIds) : undefined,
  );
  const bucket = sql<number>`${usageRollups.hour} - ${usageRollups.hour} % ${size}`.mapWith(Number);
  const totalsQuery = db
    .select({ start: bucket, ...counts })
    .from(usageRollups)
    .where(where)
    .groupBy(sql`1`);
  const toBuckets = (rows: UsageBucket[]) => rollUp(rows, query.from, query.to, query.granularity);
  const report = (totals: UsageBucket[], groups: UsageGroup[], otherGroups: number) => ({
    from: iso(query.from - (query.from % size)),
    to: iso(query.to),
    granularity: query.granularity,
    groupBy: query.groupBy,
    totals: totals.map((b) => ({ ...b, start: iso(b.start) })),
    groups: groups.map((g) => ({ ...g, buckets: g.buckets.map((b) => ({ ...b, start: iso(b.start) })) })),
    otherGroups,
  });

  if (query.groupBy === "outcome") {
    const totals = toBuckets(await totalsQuery);
    return report(totals, outcomeGroups(totals), 0);
  }

  const column = groupColumn(query.groupBy);
  // Traffic of keys in no identity is in the totals but in no identity's group.
  const grouped = query.groupBy === "identity" ? and(where, isNotNull(column)) : where;
  const topGroups = db
    .select({ group: column })
    .from(usageRollups)
    .where(grouped)
    .groupBy(column)
    .orderBy(desc(busiest), asc(column))
    .limit(query.limit);
  const [totalRows, groupCount, seriesRows, keyNames, identityNames] = await db.batch([
    totalsQuery,
    db
      .select({ groups: sql<number>`count(distinct ${column})`.mapWith(Number) })
      .from(usageRollups)
      .where(grouped),
    db
      .select({ group: column, start: bucket, ...counts })
      .from(usageRollups)
      .where(and(where, sql`${column} IN ${topGroups}`))
      .groupBy(column, sql`2`),
    // Routes have no names: the statements stay (one batch shape) but match nothing.
    db
      .select({ id: keys.id, name: keys.name })
      .from(keys)
      .where(query.groupBy === "key" ? inArray(keys.id, topGroups) : sql`0`),
    db
      .select({ id: identities.id, name: identities.name })
      .from(identities)
      .where(query.groupBy === "identity" ? inArray(identities.id, topGroups) : sql`0`),
  ]);

  const series = new Map<string, UsageBucket[]>();
  for (const { group, ...row } of seriesRows) series.set(group, [...(series.get(group) ?? []), row]);
  const nameOf = new Map([...keyNames, ...identityNames].map((row) => [row.id, row.name]));
  const named = query.groupBy === "key" || query.groupBy === "identity";
  const groups: UsageGroup[] = [...series].map(([group, rows]) => {
    const buckets = toBuckets(rows);
    return { group, ...(named && { name: nameOf.get(group) ?? null }), total: totalOf(buckets), buckets };
  });
  groups.sort((a, b) => requests(b.total) - requests(a.total) || (a.group < b.group ? -1 : 1));
  return report(toBuckets(totalRows), groups, Math.max(0, (groupCount[0]?.groups ?? 0) - groups.length));
}
