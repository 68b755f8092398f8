// Usage reads: one key's buckets, and (where the gateway has it) every key's in one call.
import { adminApi, withQuery } from "./api";
import type { Granularity, UsageBucket } from "./types";

const SPAN_MS: Record<Granularity, number> = { hour: 24 * 3_600_000, day: 30 * 86_400_000 };

export function spanQuery(granularity: Granularity, now = Date.now()) {
  return { granularity, from: new Date(now - SPAN_MS[granularity]).toISOString(), to: new Date(now + 1).toISOString() };
}

export async function keyUsage(id: string, granularity: Granularity): Promise<UsageBucket[]> {
  const { buckets } = await adminApi<{ buckets: UsageBucket[] }>(
    "GET",
    withQuery(`/keys/${encodeURIComponent(id)}/usage`, spanQuery(granularity)),
  );
  return buckets;
}

/** The series a usage chart draws from buckets: x in epoch ms, one line per outcome. */
export function outcomeSeries(buckets: UsageBucket[]) {
  return {
    times: buckets.map((bucket) => Date.parse(bucket.start)),
    allowed: buckets.map((bucket) => bucket.allowed),
    rateLimited: buckets.map((bucket) => bucket.rateLimited),
    quotaExceeded: buckets.map((bucket) => bucket.quotaExceeded),
  };
}

/** A key's (or an outcome's) request counts per bucket, aligned with `times`. */
export interface KeySeries {
  times: number[];
  values: number[];
}

export interface OutcomeUsage {
  times: number[];
  /** Requests per bucket by outcome code (`allowed` or an error code). */
  byOutcome: Map<string, number[]>;
}

/** Shape of `GET /usage` as the gateway documents it. */
interface AllKeysUsage {
  groups: { group: string; total: number; buckets: { start: string; count: number }[] }[];
}

async function allKeysUsage(granularity: Granularity, groupBy: "key" | "outcome", limit?: number): Promise<AllKeysUsage> {
  return adminApi<AllKeysUsage>("GET", withQuery("/usage", { ...spanQuery(granularity), groupBy, limit }));
}

function toSeries(buckets: { start: string; count: number }[]): KeySeries {
  return { times: buckets.map((bucket) => Date.parse(bucket.start)), values: buckets.map((bucket) => bucket.count) };
}

/** Every key's last 24 hours, hour by hour, from one call for the whole keys page. */
export async function keysUsage(): Promise<Map<string, KeySeries>> {
  const usage = await allKeysUsage("hour", "key");
  return new Map(usage.groups.map((group) => [group.group, toSeries(group.buckets)]));
}

export async function outcomesOverTime(granularity: Granularity): Promise<OutcomeUsage> {
  const usage = await allKeysUsage(granularity, "outcome");
  const times = usage.groups[0] ? toSeries(usage.groups[0].buckets).times : [];
  return { times, byOutcome: new Map(usage.groups.map((group) => [group.group, toSeries(group.buckets).values])) };
}

export async function topKeys(granularity: Granularity, limit: number): Promise<{ keyId: string; total: number }[]> {
  const usage = await allKeysUsage(granularity, "key", limit);
  return usage.groups.map((group) => ({ keyId: group.group, total: group.total })).sort((a, b) => b.total - a.total);
}
