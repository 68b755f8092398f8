/**
 * A discrete-event simulation of leased admission: several isolates, one key object, RPC delays,
 * lost answers, isolate crashes and object restarts, driving the REAL pure modules (sliding
 * window, lease ledger, and on each isolate the lease client the middleware runs, through
 * bench/leases/virtual-isolates.ts). Records when each admission really happened, so tests can
 * check every sliding window against it. Node-runnable (bench/ may import it).
 */

import { mulberry32 } from "../../bench/accuracy/traffic.ts";
import { EventQueue } from "../../bench/leases/event-queue.ts";
import { ObjectLink, VirtualIsolate, type VirtualObject } from "../../bench/leases/virtual-isolates.ts";
import type { LeaseDecision } from "../../src/ratelimit/lease-client.ts";
import type { LeaseRequest } from "../../src/ratelimit/lease-holder.ts";
import {
  closeLeases,
  grantLease,
  type LeaseEntry,
  LeaseLedger,
  type LeasePolicy,
  type QuotaBudget,
  refusalMs,
} from "../../src/ratelimit/lease-ledger.ts";
import { combinedBudget } from "../../src/ratelimit/quota.ts";
import { decide, SlidingWindow } from "../../src/ratelimit/sliding-window.ts";

export interface SimLimit {
  id: string;
  limit: number;
  windowMs: number;
}

export interface SimRequest {
  isolate: number;
  at: number;
  cost: number;
  /** Which key of the identity (0 without one). */
  key?: number;
}

/** Several keys of one identity, decided by its object: each key has all of `limits` and `quota`, and they share these. */
export interface SimIdentity {
  keys: number;
  limits: SimLimit[];
  quota?: { limit: number; periodMs: number };
}

export interface SimOptions {
  limits: SimLimit[];
  /** A quota over fixed periods of `periodMs` (Infinity: one period for the whole run). */
  quota?: { limit: number; periodMs: number };
  /** 0: every request asks the object. */
  ttlMs: number;
  policy?: LeasePolicy;
  isolates: number;
  requests: SimRequest[];
  seed: number;
  /** One RPC leg takes a uniform delay in [min, max] ms... */
  delayMs: [number, number];
  /** ...and with this probability is late by 10–50 times as much. */
  lateRate?: number;
  /** Share of answers that never arrive (the isolate gives up after `callTimeoutMs`). */
  lostRate?: number;
  callTimeoutMs?: number;
  /** Isolates that die at these times, never reporting their leases. */
  crashes?: { isolate: number; at: number }[];
  /** The object restarts at these times, reloading only what it persisted. */
  restarts?: number[];
  /** Each isolate's clock is off by up to this many ms (either way). */
  clockSkewMs?: number;
  /** The object serves at most this many calls per second; the rest wait their turn. */
  objectCallsPerSecond?: number;
  /** Absent: one key on its own object. */
  identity?: SimIdentity;
}

export interface SimResult {
  /** Real time of every admission, its cost and its key. */
  admissions: { at: number; cost: number; key: number }[];
  refused: number;
  objectCalls: number;
  requests: number;
  /** Leases the object still counts at the end, and when the last of them is forgotten. */
  ledger: LeaseEntry[];
  /** When the object served its last call (its windows are pruned to then). */
  lastCallAt: number;
  /** The object as it stands at `at`: units each limit of key 0 counts. */
  countedAt: (at: number) => number[];
}

/** A quota over fixed periods, as the key object's counter keeps it. */
class PeriodQuota implements QuotaBudget {
  start = 0;
  used = 0;
  readonly limit: number;
  readonly periodMs: number;

  constructor(limit: number, periodMs: number) {
    this.limit = limit;
    this.periodMs = periodMs;
  }

  periodStart(now: number): number {
    return Number.isFinite(this.periodMs) ? Math.floor(now / this.periodMs) * this.periodMs : 0;
  }

  periodEnd(now: number): number | null {
    return Number.isFinite(this.periodMs) ? this.periodStart(now) + this.periodMs : null;
  }

  remaining(now: number): number {
    return this.limit - (this.periodStart(now) === this.start ? this.used : 0);
  }

  consume(units: number, now: number): void {
    this.used = (this.periodStart(now) === this.start ? this.used : 0) + units;
    this.start = this.periodStart(now);
  }

  refund(units: number, periodStart: number, now: number): void {
    if (periodStart === this.start && this.periodStart(now) === this.start) this.used -= units;
  }
}

/** The key object (or an identity's, deciding for its keys): decides and leases on the pure modules, persisting every change into rows it reloads on restart. */
class SimObject {
  private readonly rows = new Map<string, Map<number, { start: number; count: number }>>();
  private readonly leaseRows = new Map<string, LeaseEntry>();
  private readonly quotaRows: { start: number; used: number }[];
  private windows = new Map<string, SlidingWindow>();
  private ledger = new LeaseLedger();
  /** One per key, then the identity's. */
  private quotas: (PeriodQuota | undefined)[] = [];
  private readonly options: SimOptions;
  private readonly limitsOf: SimLimit[][];
  private readonly quotaSpecs: ({ limit: number; periodMs: number } | undefined)[];
  lastCallAt = 0;

  constructor(options: SimOptions) {
    this.options = options;
    const keys = options.identity?.keys ?? 1;
    const shared = (options.identity?.limits ?? []).map((l) => ({ ...l, id: `identity/${l.id}` }));
    // Without an identity the key's limits keep their own ids; with one, each key's are its own.
    this.limitsOf = Array.from({ length: keys }, (_, k) => [
      ...options.limits.map((l) => (options.identity ? { ...l, id: `${k}/${l.id}` } : l)),
      ...shared,
    ]);
    this.quotaSpecs = [...Array.from({ length: keys }, () => options.quota), options.identity?.quota];
    this.quotaRows = this.quotaSpecs.map(() => ({ start: 0, used: 0 }));
    for (const l of new Set(this.limitsOf.flat())) this.rows.set(l.id, new Map());
    this.restart();
  }

  private allLimits(): SimLimit[] {
    const byId = new Map(this.limitsOf.flat().map((l) => [l.id, l]));
    return [...byId.values()];
  }

  restart(): void {
    this.windows = new Map();
    for (const l of this.allLimits()) {
      const rows = this.rows.get(l.id)!;
      const ends = [...rows.keys()].sort((a, b) => a - b);
      this.windows.set(
        l.id,
        new SlidingWindow(
          l.windowMs,
          ends,
          ends.map((e) => rows.get(e)!.count),
          ends.map((e) => rows.get(e)!.start),
        ),
      );
    }
    this.ledger = new LeaseLedger([...this.leaseRows.values()].map((e) => ({ ...e, limitIds: [...e.limitIds] })));
    this.quotas = this.quotaSpecs.map((q, i) => {
      if (!q) return undefined;
      const quota = new PeriodQuota(q.limit, q.periodMs);
      quota.start = this.quotaRows[i]!.start;
      quota.used = this.quotaRows[i]!.used;
      return quota;
    });
  }

  private states(now: number, key: number) {
    return this.limitsOf[key]!.map((l) => {
      const window = this.windows.get(l.id)!;
      window.prune(now);
      return { id: l.id, limit: l.limit, window, leases: this.ledger.leasesIn(l.id) };
    });
  }

  /** The key's quota and its identity's, as one budget. */
  private budget(key: number): QuotaBudget | undefined {
    const own = this.quotas[key];
    const shared = this.quotas[this.quotas.length - 1];
    return combinedBudget([own, shared].filter((q): q is PeriodQuota => q !== undefined));
  }

  /** One call: reports first, then the request (cost 0: a renewal), then maybe a lease; answered as the key object answers. */
  call(now: number, cost: number, lease: LeaseRequest | undefined, key = 0): LeaseDecision {
    this.lastCallAt = now;
    const quota = this.budget(key);
    // As the key object: a closed lease's units join its limits' logs (WindowStore.foldLease).
    if (lease) closeLeases(this.ledger, lease, quota, now, (entry, at) => this.foldLease(entry, at));
    else this.ledger.forget(now);
    let allowed = cost === 0;
    let retryAfterMs = 0;
    let quotaShort = false;
    if (cost > 0) {
      quotaShort = quota !== undefined && quota.remaining(now) < cost;
      if (!quotaShort) {
        const decision = decide(this.states(now, key), now, cost);
        allowed = decision.allowed;
        retryAfterMs = decision.retryAfterMs;
        if (allowed) quota?.consume(cost, now);
      } else retryAfterMs = (quota!.periodEnd(now) ?? now + 60_000) - now;
    }
    const grant =
      allowed && lease && this.options.ttlMs > 0
        ? grantLease(this.ledger, this.states(now, key), quota, lease, this.options.ttlMs, now, this.options.policy)
        : undefined;
    this.persist();
    const answer = { policies: [], nearest: -1 };
    if (allowed) return { outcome: "allowed", ...answer, ...(grant && { lease: grant }) };
    const retryAfter = Math.max(1, Math.ceil(retryAfterMs / 1000));
    if (quotaShort) return { outcome: "quota_exceeded", ...answer, retryAfter };
    // As the key object: a lease request's refusal says how long its isolate may repeat it (a zero lease).
    const refuseForMs = lease && refusalMs(this.states(now, key), this.ledger, cost, this.options.ttlMs, now);
    return { outcome: "rate_limited", ...answer, retryAfter, ...(refuseForMs !== undefined && { refuseForMs }) };
  }

  private foldLease(entry: LeaseEntry, now: number): boolean {
    for (const id of entry.limitIds) this.windows.get(id)!.insert(entry.end, entry.units, now);
    return true;
  }

  private persist(): void {
    for (const l of this.allLimits()) {
      const rows = this.rows.get(l.id)!;
      const { prunedThrough, deletes, upserts } = this.windows.get(l.id)!.takeChanges();
      if (prunedThrough !== undefined) for (const end of [...rows.keys()]) if (end <= prunedThrough) rows.delete(end);
      for (const end of deletes) rows.delete(end);
      for (const [end, row] of upserts) rows.set(end, { ...row });
    }
    const { upserts, deletes } = this.ledger.takeChanges();
    for (const d of deletes) this.leaseRows.delete(`${d.isolateId}\n${d.leaseId}`);
    for (const e of upserts) this.leaseRows.set(`${e.isolateId}\n${e.leaseId}`, { ...e, limitIds: [...e.limitIds] });
    for (const [i, quota] of this.quotas.entries()) if (quota) this.quotaRows[i] = { start: quota.start, used: quota.used };
  }

  leases(): LeaseEntry[] {
    return [...this.ledger.all()];
  }

  counted(now: number): number[] {
    return this.states(now, 0)
      .slice(0, this.options.limits.length)
      .map((s) => s.window.used + s.leases.filter((l) => l.end > now - s.window.windowMs).reduce((a, l) => a + l.units, 0));
  }
}

/** Runs one schedule to the end (every call answered or timed out). */
export function simulate(options: SimOptions): SimResult {
  const rand = mulberry32(options.seed);
  const events = new EventQueue();
  const object = new SimObject(options);
  const admissions: { at: number; cost: number; key: number }[] = [];
  let refused = 0;
  const [dMin, dMax] = options.delayMs;
  const cps = options.objectCallsPerSecond;
  const link = new ObjectLink(events, {
    delayMs: () => {
      const d = dMin + rand() * (dMax - dMin);
      return rand() < (options.lateRate ?? 0) ? d * (10 + rand() * 40) : d;
    },
    serviceMs: cps ? 1000 / cps : 0,
    lost: () => rand() < (options.lostRate ?? 0),
    timeoutMs: options.callTimeoutMs ?? 3000,
  });
  const skew = options.clockSkewMs ?? 0;
  const isolates = Array.from({ length: options.isolates }, (_, i) => new VirtualIsolate(link, `isolate-${i}`, (rand() * 2 - 1) * skew));
  /** Each key's requests, as its (or its identity's) object decides them. */
  const objects: VirtualObject[] = Array.from({ length: options.identity?.keys ?? 1 }, (_, key) => ({
    check: (at, cost, lease) => object.call(at, cost, lease, key),
    renew: (at, lease) => object.call(at, 0, lease, key),
  }));
  const transports = isolates.map((isolate) => objects.map((o) => isolate.transport(o)));
  const identity = options.identity;
  const bounded =
    options.limits.length > 0 ||
    options.quota !== undefined ||
    (identity !== undefined && (identity.limits.length > 0 || identity.quota !== undefined));

  for (const r of options.requests)
    events.schedule(r.at, () => {
      const isolate = isolates[r.isolate]!;
      if (isolate.dead) return;
      const key = r.key ?? 0;
      const request = { keyId: `key-${key}`, route: "/", version: 0, cost: r.cost, bounded, ttlMs: options.ttlMs };
      isolate.admit(request, transports[r.isolate]![key]!, (admitted, at) => {
        if (admitted) admissions.push({ at, cost: r.cost, key });
        else refused++; // a refusal, or limiter_unavailable: nothing reached the upstream
      });
    });
  for (const c of options.crashes ?? [])
    events.schedule(c.at, () => {
      isolates[c.isolate]!.dead = true;
    });
  for (const at of options.restarts ?? []) events.schedule(at, () => object.restart());

  events.runUntil(Number.POSITIVE_INFINITY);

  return {
    admissions: admissions.sort((a, b) => a.at - b.at),
    refused,
    objectCalls: link.calls,
    requests: options.requests.length,
    ledger: object.leases(),
    lastCallAt: object.lastCallAt,
    countedAt: (at) => object.counted(at),
  };
}

/** The most units admitted in any sliding window of `windowMs` (admissions sorted by time). */
export function busiestWindow(admissions: { at: number; cost: number }[], windowMs: number): number {
  let busiest = 0;
  let inWindow = 0;
  let first = 0;
  for (let last = 0; last < admissions.length; last++) {
    inWindow += admissions[last]!.cost;
    while (admissions[first]!.at <= admissions[last]!.at - windowMs) inWindow -= admissions[first++]!.cost;
    busiest = Math.max(busiest, inWindow);
  }
  return busiest;
}

/** What an exact limiter (one object, no delay, no leases) admits of the same requests. */
export function exactAdmitted(options: Pick<SimOptions, "limits" | "quota" | "requests">, skip?: (r: SimRequest) => boolean): number {
  const states = options.limits.map((l) => ({ limit: l.limit, window: new SlidingWindow(l.windowMs) }));
  const quota = options.quota ? new PeriodQuota(options.quota.limit, options.quota.periodMs) : undefined;
  let admitted = 0;
  for (const r of [...options.requests].sort((a, b) => a.at - b.at)) {
    if (skip?.(r)) continue;
    if (quota && quota.remaining(r.at) < r.cost) continue;
    if (decide(states, r.at, r.cost).allowed) {
      admitted += r.cost;
      quota?.consume(r.cost, r.at);
    }
  }
  return admitted;
}
