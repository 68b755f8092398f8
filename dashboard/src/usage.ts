// Usage reads: one key's buckets, and (where the gateway has it) every key's in one call.
import { adminApi, withQuery } from "./api";
import type { Granularity, ReportBucket, UsageBucket } from "./types";

const SPAN_MS: Record<Granularity, number> = { hour: 24 * 3_600_000, day: 30 * 86_400_000 };

/** A usage query's span: ISO bounds [from, to) and the bucket size. */
export type Span = {
  granularity: Granularity;
  from: string;
  to: string;
};

/** The preset span of a granularity: the last 24 hours by hour, or the last 30 days by day. */
export function spanQuery(granularity: Granularity, now = Date.now()): Span {
  return { granularity, from: new Date(now - SPAN_MS[granularity]).toISOString(), to: new Date(now + 1).toISOString() };
}

export async function keyUsage(id: string, granularity: Granularity): Promise<UsageBucket[]> {
  const { buckets } = await adminApi<{ buckets: UsageBucket[] }>(
    "GET",
    withQuery(`/keys/${encodeURIComponent(id)}/usage`, spanQuery(granularity)),
  );
  return buckets;
}

/** A key's requests per bucket (all outcomes), aligned with `times`. */
export interface KeySeries {
  times: number[];
  values: number[];
}

/** Requests by outcome; `unauthorized` (401s, counted by route for no key) is absent from an older gateway's report. */
export interface Counts {
  allowed: number;
  rateLimited: number;
  quotaExceeded: number;
  unauthorized?: number;
}

/** `GET /usage`: all keys' usage in one call, grouped. */
interface UsageReport {
  totals: ReportBucket[];
  groups: { group: string; name?: string | null; total: Counts; buckets: ReportBucket[] }[];
  otherGroups: number;
}

const requests = (counts: Counts) => counts.allowed + counts.rateLimited + counts.quotaExceeded + (counts.unauthorized ?? 0);

function usageReport(query: Record<string, string | number | undefined>): Promise<UsageReport> {
  return adminApi<UsageReport>("GET", withQuery("/usage", query));
}

/** The last 24 hours of the given keys (one page of the list), hour by hour, in one call. */
export async function keysUsage(keyIds: string[]): Promise<Map<string, KeySeries>> {
  if (keyIds.length === 0) return new Map();
  const report = await usageReport({ ...spanQuery("hour"), groupBy: "key", limit: keyIds.length, keyIds: keyIds.join(",") });
  return new Map(
    report.groups.map((group) => [
      group.group,
      { times: group.buckets.map((bucket) => Date.parse(bucket.start)), values: group.buckets.map(requests) },
    ]),
  );
}

export interface Overview {
  buckets: ReportBucket[];
  /** Refused requests by error code, busiest first. */
  refusals: { code: string; total: number }[];
}

/** All keys' requests by outcome over the span, and the refusals among them by code. */
export async function overview(span: Span): Promise<Overview> {
  const report = await usageReport({ ...span, groupBy: "outcome" });
  const refusals = report.groups
    .filter((group) => group.group !== "allowed")
    .map((group) => ({ code: group.group, total: requests(group.total) }));
  return { buckets: report.totals, refusals };
}

/** The busiest keys over the span. */
export async function topKeys(span: Span, limit: number): Promise<{ keyId: string; name: string; total: number }[]> {
  const report = await usageReport({ ...span, groupBy: "key", limit });
  return report.groups.map((group) => ({ keyId: group.group, name: group.name ?? group.group, total: requests(group.total) }));
}

/** The busiest routes over the span, each with its requests by outcome. */
export async function byRoute(span: Span, limit: number): Promise<{ route: string; total: Counts }[]> {
  const report = await usageReport({ ...span, groupBy: "route", limit });
  return report.groups.map((group) => ({ route: group.group, total: group.total }));
}
