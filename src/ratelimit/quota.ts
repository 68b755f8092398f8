// Quotas: calendar periods, the counter a key or identity object keeps in its SQLite, and combined budgets.
import type { QuotaSpec } from "../db/schema";
import type { QuotaBudget } from "./lease-ledger";

/** Start of the UTC calendar period holding `now` (epoch ms); `total` never resets. */
export function periodStart(period: QuotaSpec["period"], now: number): number {
  const date = new Date(now);
  switch (period) {
    case "day":
      return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
    case "month":
      return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
    case "total":
      return 0;
  }
}

/** End of the UTC calendar period holding `now`; null for `total`, which has none. */
export function periodEnd(period: QuotaSpec["period"], now: number): number | null {
  const date = new Date(now);
  switch (period) {
    case "day":
      return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate() + 1);
    case "month":
      return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
    case "total":
      return null;
  }
}

type QuotaRow = { period: string; period_start: number; used: number };

export interface QuotaState {
  limit: number;
  period: QuotaSpec["period"];
  used: number;
  remaining: number;
  /** Whole seconds until the period ends; null for `total`. */
  reset: number | null;
}

/**
 * Several quotas as one (a key's and its identity's): a lease reserves its units in each. A lease never
 * spans any of their period ends, so a quota's period at refund time still holds the grant exactly when
 * it started no later than the latest period start recorded at the grant.
 */
export function combinedBudget(budgets: QuotaBudget[]): QuotaBudget | undefined {
  if (budgets.length <= 1) return budgets[0];
  return {
    // The smallest quota bounds a slice: a dead isolate strands no more of it than of a quota alone.
    limit: Math.min(...budgets.map((b) => b.limit)),
    remaining: (now) => Math.min(...budgets.map((b) => b.remaining(now))),
    periodStart: (now) => Math.max(...budgets.map((b) => b.periodStart(now))),
    periodEnd: (now) => {
      const ends = budgets.map((b) => b.periodEnd(now)).filter((end): end is number => end !== null);
      return ends.length > 0 ? Math.min(...ends) : null;
    },
    consume: (units, now) => {
      for (const b of budgets) b.consume(units, now);
    },
    refund: (units, latestStart, now) => {
      for (const b of budgets) {
        const start = b.periodStart(now);
        if (start <= latestStart) b.refund(units, start, now);
      }
    },
  };
}

/** The quota with the smallest share left: the one a response reports. */
export function tightestQuota(states: QuotaState[]): QuotaState | undefined {
  return states.reduce<QuotaState | undefined>(
    (best, q) => (!best || q.remaining / q.limit < best.remaining / best.limit ? q : best),
    undefined,
  );
}

/**
 * The key's quota count, in its Durable Object's SQLite (table `quota_usage`). Only the object's single thread touches
 * it, so the count is exact; a new period (or a changed period kind) starts again from zero.
 */
export class QuotaCounter {
  private period: string | undefined;
  private start = 0;
  private used = 0;

  /** `member`: a key counted in its identity's object (table `member_quota`); else the object's own quota. */
  // Raw statements on the hot path: drizzle adds ~1 µs a call prepared, ~20-40 µs built per call (`npm run bench:objects`).
  constructor(
    private readonly sql: SqlStorage,
    private readonly member?: string,
  ) {
    const row = (
      member === undefined
        ? sql.exec<QuotaRow>("SELECT period, period_start, used FROM quota_usage")
        : sql.exec<QuotaRow>("SELECT period, period_start, used FROM member_quota WHERE key_id = ?", member)
    ).toArray()[0];
    if (row) {
      this.period = row.period;
      this.start = row.period_start;
      this.used = row.used;
    }
  }

  private usedIn(quota: QuotaSpec, now: number): number {
    return this.period === quota.period && this.start === periodStart(quota.period, now) ? this.used : 0;
  }

  fits(quota: QuotaSpec, cost: number, now: number): boolean {
    return this.usedIn(quota, now) + cost <= quota.limit;
  }

  consume(quota: QuotaSpec, cost: number, now: number): void {
    const used = this.usedIn(quota, now) + cost;
    this.period = quota.period;
    this.start = periodStart(quota.period, now);
    this.write(used);
  }

  private write(used: number): void {
    this.used = used;
    if (this.member === undefined)
      this.sql.exec(
        "INSERT OR REPLACE INTO quota_usage (id, period, period_start, used) VALUES (1, ?, ?, ?)",
        this.period,
        this.start,
        used,
      );
    else
      this.sql.exec(
        "INSERT OR REPLACE INTO member_quota (key_id, period, period_start, used) VALUES (?, ?, ?, ?)",
        this.member,
        this.period,
        this.start,
        used,
      );
  }

  /** The counter as leases see it: units reserved at grant, the unused ones given back at close. */
  budget(quota: QuotaSpec): QuotaBudget {
    return {
      limit: quota.limit,
      remaining: (now) => Math.max(0, quota.limit - this.usedIn(quota, now)),
      periodStart: (now) => periodStart(quota.period, now),
      periodEnd: (now) => periodEnd(quota.period, now),
      consume: (units, now) => this.consume(quota, units, now),
      refund: (units, start, now) => {
        // Units reserved in a period that is over are gone with it.
        if (this.period !== quota.period || this.start !== start || periodStart(quota.period, now) !== start) return;
        this.write(Math.max(0, this.used - units));
      },
    };
  }

  state(quota: QuotaSpec, now: number): QuotaState {
    const used = this.usedIn(quota, now);
    const end = periodEnd(quota.period, now);
    return {
      limit: quota.limit,
      period: quota.period,
      used,
      remaining: Math.max(0, quota.limit - used),
      reset: end === null ? null : Math.max(1, Math.ceil((end - now) / 1000)),
    };
  }
}
