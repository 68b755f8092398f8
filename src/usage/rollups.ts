// The all-keys usage report read from D1: the keys' hourly rollups, with the 401s (counted by route,
// by no key) in the totals, the route groups and the outcome groups (docs/usage.md).
import { and, asc, desc, gte, inArray, isNotNull, lt, sql } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import type { Database } from "../db/client";
import { identities, keys, unauthorizedRollups, usageRollups } from "../db/schema";
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
  /** Refused with 401 for their key or for having none: never a key's, so 0 in key and identity groups. */
  unauthorized: number;
}

/** A bucket of the report: a key's counts plus the 401s. */
export type ReportBucket = UsageBucket & { unauthorized: number };

export interface UsageGroup {
  group: string;
  name?: string | null;
  total: Counts;
  buckets: ReportBucket[];
}

/** 401s per bucket start, optionally per route. */
type UnauthorizedRow = { route?: string; start: number; requests: number };

const iso = (ms: number) => new Date(ms).toISOString();
const requests = (c: Counts) => c.allowed + c.rateLimited + c.quotaExceeded + c.unauthorized;
const zero = (): Counts => ({ allowed: 0, rateLimited: 0, quotaExceeded: 0, unauthorized: 0 });
const summed = (column: SQLiteColumn) => sql<number>`sum(${column})`.mapWith(Number);
const counts = {
  allowed: summed(usageRollups.allowed),
  rateLimited: summed(usageRollups.rateLimited),
  quotaExceeded: summed(usageRollups.quotaExceeded),
};
const busiest = sql`sum(${usageRollups.allowed} + ${usageRollups.rateLimited} + ${usageRollups.quotaExceeded})`;

function totalOf(buckets: ReportBucket[]): Counts {
  const total = zero();
  for (const b of buckets) {
    total.allowed += b.allowed;
    total.rateLimited += b.rateLimited;
    total.quotaExceeded += b.quotaExceeded;
    total.unauthorized += b.unauthorized;
  }
  return total;
}

/** The buckets with the 401s of their span added (rows already bucketed at the same size). */
function withUnauthorized(buckets: UsageBucket[], rows: UnauthorizedRow[]): ReportBucket[] {
  const counted = new Map<number, number>();
  for (const row of rows) counted.set(row.start, (counted.get(row.start) ?? 0) + row.requests);
  return buckets.map((b) => ({ ...b, unauthorized: counted.get(b.start) ?? 0 }));
}

/** Each outcome as a group of its own: its buckets count only that outcome. */
function outcomeGroups(totals: ReportBucket[]): UsageGroup[] {
  const only = (field: keyof Counts) => totals.map((b) => ({ ...zero(), start: b.start, [field]: b[field] }));
  const groups: UsageGroup[] = [
    { group: "allowed", buckets: only("allowed"), total: zero() },
    { group: "rate_limited", buckets: only("rateLimited"), total: zero() },
    { group: "quota_exceeded", buckets: only("quotaExceeded"), total: zero() },
    { group: "unauthorized", buckets: only("unauthorized"), total: zero() },
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
 * with their buckets, and (by key) their names. Buckets are summed in SQL, zero-filled here. The 401s
 * join the totals, the route groups and the outcome groups, unless the query names keys.
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
  // 401s belong to no key: a report of named keys has none. The statement stays (one batch shape).
  const unauthorizedWhere = and(
    gte(unauthorizedRollups.hour, firstHour),
    lt(unauthorizedRollups.hour, query.to),
    query.keyIds ? sql`0` : undefined,
  );
  const unauthorizedStart = sql<number>`${unauthorizedRollups.hour} - ${unauthorizedRollups.hour} % ${size}`.mapWith(Number);
  const unauthorizedQuery = db
    .select({
      route: unauthorizedRollups.route,
      start: unauthorizedStart,
      requests: sql<number>`sum(${unauthorizedRollups.requests})`.mapWith(Number),
    })
    .from(unauthorizedRollups)
    .where(unauthorizedWhere)
    .groupBy(unauthorizedRollups.route, sql`2`);
  const toBuckets = (rows: UsageBucket[], unauthorized: UnauthorizedRow[]) =>
    withUnauthorized(rollUp(rows, query.from, query.to, query.granularity), unauthorized);
  const report = (totals: ReportBucket[], groups: UsageGroup[], otherGroups: number) => ({
    from: iso(query.from - (query.from % size)),
    to: iso(query.to),
    granularity: query.granularity,
    groupBy: query.groupBy,
    totals: totals.map((b) => ({ ...b, start: iso(b.start) })),
    groups: groups.map((g) => ({ ...g, buckets: g.buckets.map((b) => ({ ...b, start: iso(b.start) })) })),
    otherGroups,
  });

  if (query.groupBy === "outcome") {
    const [totalRows, unauthorizedRows] = await db.batch([totalsQuery, unauthorizedQuery]);
    const totals = toBuckets(totalRows, unauthorizedRows);
    return report(totals, outcomeGroups(totals), 0);
  }

  const column = groupColumn(query.groupBy);
  const byRoute = query.groupBy === "route";
  // Traffic of keys in no identity is in the totals but in no identity's group.
  const grouped = query.groupBy === "identity" ? and(where, isNotNull(column)) : where;
  const topGroups = db
    .select({ group: column })
    .from(usageRollups)
    .where(grouped)
    .groupBy(column)
    .orderBy(desc(busiest), asc(column))
    .limit(query.limit);
  const [totalRows, unauthorizedRows, groupCount, seriesRows, keyNames, identityNames] = await db.batch([
    totalsQuery,
    unauthorizedQuery,
    db
      .select({ groups: sql<number>`count(distinct ${column})`.mapWith(Number) })
      .from(usageRollups)
      .where(grouped),
    // By route every route's series: a route's 401s may make it one of the busiest (routes are few).
    db
      .select({ group: column, start: bucket, ...counts })
      .from(usageRollups)
      .where(byRoute ? where : and(where, sql`${column} IN ${topGroups}`))
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
  const unauthorizedByRoute = new Map<string, UnauthorizedRow[]>();
  if (byRoute) {
    for (const row of unauthorizedRows) {
      const route = row.route ?? "";
      unauthorizedByRoute.set(route, [...(unauthorizedByRoute.get(route) ?? []), row]);
      if (!series.has(route)) series.set(route, []);
    }
  }
  const nameOf = new Map([...keyNames, ...identityNames].map((row) => [row.id, row.name]));
  const named = query.groupBy === "key" || query.groupBy === "identity";
  const groups: UsageGroup[] = [...series].map(([group, rows]) => {
    const buckets = toBuckets(rows, unauthorizedByRoute.get(group) ?? []);
    return { group, ...(named && { name: nameOf.get(group) ?? null }), total: totalOf(buckets), buckets };
  });
  groups.sort((a, b) => requests(b.total) - requests(a.total) || (a.group < b.group ? -1 : 1));
  const allGroups = byRoute ? groups.length : (groupCount[0]?.groups ?? 0);
  const shown = groups.slice(0, query.limit);
  return report(toBuckets(totalRows, unauthorizedRows), shown, Math.max(0, allGroups - shown.length));
}
