/**
 * Leases, the key object's side: pure, no bindings (the Durable Object persists what
 * `takeChanges` reports; bench/ and the property tests drive it directly).
 *
 * A lease of `n` units granted at object time `g` for `ttl` is counted by every limit it is a
 * slice of as an entry of `n` at `end = g + ttl`, the last moment any unit can be used, and so
 * in every window that reaches `end` (future entries included). Whatever the isolate does, a
 * window then never holds more than its limit: see docs/rate-limits.md "Consistency model".
 * A closed lease shrinks to its reported use (never grows); a lease never reported (its isolate
 * died) is forgotten once it has left every window, at `end` + the longest window. A lease still in
 * use reports its use so far with each call: those units are counted from the report on, like a
 * closed lease's, in a closed entry of their own (lease id `-leaseId`); the rest stay at `end`.
 * Where the object gives a `FoldLease`, a closed lease leaves the ledger at once, its units moved
 * into its limits' logs at its end: every decision scans the ledger, and a day's window would
 * otherwise keep every lease of the day (docs/rate-limits.md "Closed leases join the log").
 */
import { countedUnits, type LeasedUnits, type LimitState, waitMs } from "./sliding-window.ts";

/** What an isolate sends with a call that may bring a lease. */
export interface LeaseAsk {
  /** Random per isolate: names its leases. */
  isolateId: string;
  /** Leases it no longer admits from, each with its final use (units): they shrink to it. */
  closed: { leaseId: number; used: number }[];
  /** Units per second it saw asked for on this limit set lately: sizes the grant. */
  rate: number;
  /** The lease it still admits from and the units it used so far (cumulative, so a repeated report changes nothing). */
  using?: { leaseId: number; used: number };
  /**
   * Units of the requests the isolate lets wait for this call's answer, at most (after a slow lease;
   * absent: any, the grant is sized from the rate): the grant holds them all, or takes all a window
   * has free and is `full`, so every waiter is decided by it (docs/rate-limits.md "Round trips per request").
   */
  waiting?: number;
}

/** A slice of every limit of a request (and of the key's quota), for one isolate. */
export interface LeaseGrant {
  /** 0 for a grant of no units (nothing to close later). */
  leaseId: number;
  units: number;
  /** Counted by the isolate from when it SENT the call that brought the grant, never from its arrival. */
  ttlMs: number;
  /**
   * Smaller than the isolate's rate asked for (or than its waiters), and all a window had free: the
   * key is at its limit, so the requests that waited for this answer and that it cannot hold are
   * refused in the isolate (lease-client.ts `waiterRefusal`), as are, while it lives, those that
   * waited for a call after it (see `LeaseSlot.step`).
   */
  full?: true;
  /** A slow key's lease (`slowLease`). */
  slow?: true;
  /**
   * A slow lease sized from the isolate's rate, far from the limit (at most `share` of what is free):
   * this many units of requests may wait for the isolate's next call, which names them (`LeaseAsk.waiting`).
   */
  waiters?: number;
}

/** One outstanding lease as the object counts it (and stores it, one row each). */
export interface LeaseEntry {
  isolateId: string;
  /** Negative for the reported part of lease `-leaseId` (see `reportUse`). */
  leaseId: number;
  /** Ids of the limits it is a slice of. */
  limitIds: string[];
  units: number;
  /** Object clock: grant time + TTL. */
  end: number;
  /** When it has left every window it counts in: `end` + the longest of their windows. */
  forgetAt: number;
  /** Start of the quota period its units were reserved in; null when the key has no quota. */
  quotaPeriodStart: number | null;
  /** Its final use was reported, so it holds exactly what was admitted from it. */
  closed: boolean;
}

/** The key's quota as a lease sees it: units reserved at grant, the unused ones given back at close. */
export interface QuotaBudget {
  /** Units per period. */
  limit: number;
  remaining(now: number): number;
  periodStart(now: number): number;
  /** End of the period holding `now` (epoch ms); null when it never ends. */
  periodEnd(now: number): number | null;
  consume(units: number, now: number): void;
  /** Gives back units reserved in the period starting at `periodStart`; nothing once that period is over. */
  refund(units: number, periodStart: number, now: number): void;
}

/** A limit a lease may be a slice of: its counter id and its state. */
export interface LeasableLimit extends LimitState {
  id: string;
}

/** Sizing rules; `defaultLeasePolicy` holds the figures docs/rate-limits.md explains. */
export interface LeasePolicy {
  /** Largest share of a limit's free budget one grant takes (near the top, up to this share of what the rate asks, at most `minUnits`). */
  share: number;
  /**
   * An isolate whose rate asks for fewer units per TTL decides per request (low traffic); a limit
   * whose `share` is below it is never leased (small limits stay exact); a quota is leased only
   * while its `share` of what is left reaches it.
   */
  minUnits: number;
  /**
   * A lease's TTL is at most this share of the shortest window: a used unit is counted from
   * grant to `end` + window, up to one TTL longer than an exact log counts it, so saturating a
   * limit through leases alone would reach only window / (window + TTL) of it.
   */
  windowShare: number;
  /** Below this TTL a lease would need renewing too often to save anything. */
  minTtlMs: number;
  /**
   * Largest share of a quota's limit one grant reserves: a dead isolate's leases are never
   * reported, so their quota units stay spent (at most two slices per dead isolate).
   */
  quotaShare: number;
  /**
   * A slow lease (below `minUnits`, or a limit too small for them; no quota): its TTL is at most this
   * share of the shortest window. Slow keys are far from their limit, where the longer count costs nothing.
   */
  slowWindowShare: number;
  /**
   * Requests may wait for a slow lease's next call only when its units are at most this share of
   * `share` of what is free (so its next grant rarely needs more: 99.56% of an exact limiter near the limit, vs 99.51% at 1).
   */
  slowWaitersMargin: number;
}

export const defaultLeasePolicy: LeasePolicy = {
  share: 1 / 8,
  minUnits: 16,
  windowShare: 1 / 100,
  minTtlMs: 50,
  quotaShare: 1 / 1000,
  slowWindowShare: 1 / 50,
  slowWaitersMargin: 4,
};

/**
 * Counts a closed lease's units in each of its limits' logs at its end (`SlidingWindow.insert`),
 * where they count exactly as its entry did; false (nothing counted) when a limit has no log here.
 */
export type FoldLease = (entry: LeaseEntry, now: number) => boolean;

const entryKey = (isolateId: string, leaseId: number) => `${isolateId}\n${leaseId}`;

export interface LedgerChanges {
  upserts: LeaseEntry[];
  deletes: { isolateId: string; leaseId: number }[];
}

/** Outstanding leases of one key object. */
export class LeaseLedger {
  private readonly entries = new Map<string, LeaseEntry>();
  private lastLeaseId = 0;
  private changed = new Set<string>();
  private deleted = new Map<string, { isolateId: string; leaseId: number }>();

  constructor(entries: LeaseEntry[] = []) {
    for (const entry of entries) {
      this.entries.set(entryKey(entry.isolateId, entry.leaseId), entry);
      this.lastLeaseId = Math.max(this.lastLeaseId, entry.leaseId);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  all(): IterableIterator<LeaseEntry> {
    return this.entries.values();
  }

  /** The units leased out of one limit, for `decide`; `closedOnly`: only those sure to stay counted until they leave. */
  leasesIn(limitId: string, closedOnly = false): LeasedUnits[] {
    const out: LeasedUnits[] = [];
    for (const entry of this.entries.values())
      if (entry.limitIds.includes(limitId) && (entry.closed || !closedOnly)) out.push({ end: entry.end, units: entry.units });
    return out;
  }

  /** Records a new lease; ids only grow, also across restarts (they start from the clock). */
  open(entry: Omit<LeaseEntry, "leaseId">, now: number): LeaseEntry {
    this.lastLeaseId = Math.max(this.lastLeaseId + 1, now);
    const opened = { ...entry, leaseId: this.lastLeaseId };
    this.put(opened);
    return opened;
  }

  /**
   * Shrinks a lease to its final use (never grows it), reported at `now`; returns the units given
   * back. Its isolate stopped using it before sending the report, so what it kept is counted from
   * `now` on if that is before the lease's end (no window reaching a use is left without it).
   */
  close(
    isolateId: string,
    leaseId: number,
    used: number,
    now: number,
    fold?: FoldLease,
  ): { entry: LeaseEntry; returned: number } | undefined {
    const entry = this.entries.get(entryKey(isolateId, leaseId));
    if (!entry || entry.closed) return undefined;
    // `used` counts from the lease's start: what its reported part holds is counted there already.
    const kept = Math.min(entry.units, Math.max(0, used - this.reportedUnits(isolateId, leaseId)));
    const returned = entry.units - kept;
    const earlier = Math.max(0, entry.end - now);
    const closed = { ...entry, units: kept, end: entry.end - earlier, forgetAt: entry.forgetAt - earlier, closed: true };
    if (kept === 0) this.remove(closed);
    else this.put(closed);
    if (fold) {
      // Both parts are final now: nothing reports on this lease again.
      if (kept > 0 && fold(closed, now)) this.remove(closed);
      const reported = this.entries.get(entryKey(isolateId, -leaseId));
      if (reported && fold(reported, now)) this.remove(reported);
    }
    return { entry: closed, returned };
  }

  /**
   * Counts what a lease still in use has used so far (`used`, cumulative) from `now` on instead of at
   * its end: every such use came before the report was sent. Those units move to the lease's reported
   * part, a closed entry that only grows; its units already there are not moved again.
   */
  reportUse(isolateId: string, leaseId: number, used: number, now: number): void {
    const entry = this.entries.get(entryKey(isolateId, leaseId));
    // Past its end the lease counts at its end anyway; a status lease counts in no window.
    if (!entry || entry.closed || now >= entry.end || entry.limitIds.length === 0) return;
    const reported = this.reportedUnits(isolateId, leaseId);
    const moved = Math.min(entry.units, used - reported);
    if (!(moved > 0)) return;
    this.put({ ...entry, units: entry.units - moved });
    const earlier = entry.end - now;
    this.put({ ...entry, leaseId: -leaseId, units: reported + moved, end: now, forgetAt: entry.forgetAt - earlier, closed: true });
  }

  /** Drops leases that have left every window they counted in. */
  forget(now: number): void {
    for (const entry of this.entries.values()) if (entry.forgetAt <= now) this.remove(entry);
  }

  /** Rows to write since the last call. */
  takeChanges(): LedgerChanges {
    const upserts = [...this.changed].map((k) => this.entries.get(k)).filter((e): e is LeaseEntry => e !== undefined);
    const changes = { upserts, deletes: [...this.deleted.values()] };
    this.changed = new Set();
    this.deleted = new Map();
    return changes;
  }

  private reportedUnits(isolateId: string, leaseId: number): number {
    return this.entries.get(entryKey(isolateId, -leaseId))?.units ?? 0;
  }

  private put(entry: LeaseEntry): void {
    const key = entryKey(entry.isolateId, entry.leaseId);
    this.entries.set(key, entry);
    this.changed.add(key);
    this.deleted.delete(key);
  }

  private remove(entry: LeaseEntry): void {
    const key = entryKey(entry.isolateId, entry.leaseId);
    this.entries.delete(key);
    this.changed.delete(key);
    this.deleted.set(key, { isolateId: entry.isolateId, leaseId: entry.leaseId });
  }
}

/**
 * Applies an isolate's reports: each closed lease shrinks to its use, and its unused quota comes
 * back; the lease still in use counts its use so far from now on.
 */
export function closeLeases(ledger: LeaseLedger, ask: LeaseAsk, quota: QuotaBudget | undefined, now: number, fold?: FoldLease): void {
  for (const { leaseId, used } of ask.closed) {
    const closed = ledger.close(ask.isolateId, leaseId, used, now, fold);
    if (closed && closed.returned > 0 && quota && closed.entry.quotaPeriodStart !== null)
      quota.refund(closed.returned, closed.entry.quotaPeriodStart, now);
  }
  if (ask.using) ledger.reportUse(ask.isolateId, ask.using.leaseId, ask.using.used, now);
  ledger.forget(now);
}

/**
 * The TTL a lease on these limits may have: `ttlMs`, at most `windowShare` of the shortest window,
 * never past the quota period's end. Also how long an isolate may keep refusing from a denial
 * (a zero lease): units other isolates give back can free room before the denial's wait is over.
 */
export function leaseTtlMs(
  limits: ReadonlyArray<LimitState>,
  quota: QuotaBudget | undefined,
  ttlMs: number,
  now: number,
  policy: LeasePolicy = defaultLeasePolicy,
): number {
  let ttl = ttlMs;
  for (const limit of limits) ttl = Math.min(ttl, Math.floor(limit.window.windowMs * policy.windowShare));
  const quotaEnd = quota?.periodEnd(now);
  // A lease never spans a quota period's end: its reserved units belong to one period.
  if (quotaEnd != null) ttl = Math.min(ttl, quotaEnd - now);
  return Math.max(0, ttl);
}

/**
 * How long an isolate may refuse on its own after the object refused a request of `cost` (a zero
 * lease): until it could fit were every open lease given back unused at once, at most `ttlMs`. Only
 * the log and closed leases surely stay counted until they leave, so a request refused here could
 * not have been admitted by the object either (docs/rate-limits.md "Demand near the limit").
 */
export function refusalMs(limits: ReadonlyArray<LeasableLimit>, ledger: LeaseLedger, cost: number, ttlMs: number, now: number): number {
  let wait = 0;
  for (const limit of limits) wait = Math.max(wait, waitMs({ ...limit, leases: ledger.leasesIn(limit.id, true) }, now, cost));
  return Math.max(0, Math.min(wait, ttlMs));
}

/**
 * Grants a lease on every limit of a request and on the quota, sized from the isolate's rate:
 * none for low traffic, a small limit, or a small quota or one near its end (decide per request there). Each
 * window gives at most `share` of its free budget, but near its top still up to `share` of what
 * the rate asks, at most `minUnits`: a saturated hot key keeps being served in slices (each call
 * admits more than one request) instead of a call per request, and a slower isolate's slice there
 * is used up soon (units it holds unused count as spent for every isolate). A grant smaller than asked that takes all a window has free is
 * `full`; with nothing free at all, a `full` grant of 0 units (no entry) says so alone.
 * With no limit and no quota it is a status lease: a slice of nothing, sized from the rate alone,
 * that only carries the key's status for one TTL (and its isolate's count of what it admitted).
 * The limits must carry their leases (`ledger.leasesIn`) and be pruned to `now`.
 */
export function grantLease(
  ledger: LeaseLedger,
  limits: LeasableLimit[],
  quota: QuotaBudget | undefined,
  ask: LeaseAsk,
  ttlMs: number,
  now: number,
  policy: LeasePolicy = defaultLeasePolicy,
): LeaseGrant | undefined {
  const ttl = leaseTtlMs(limits, quota, ttlMs, now, policy);
  if (ttl < policy.minTtlMs) return undefined;
  const wanted = Math.ceil((ask.rate * ttl) / 1000);
  if (!(wanted >= policy.minUnits) || limits.some((limit) => limit.limit * policy.share < policy.minUnits))
    return slowLease(ledger, limits, quota, ask, ttlMs, now, policy);
  let cap = Infinity;
  if (quota) {
    cap = Math.floor(Math.min(quota.remaining(now) * policy.share, quota.limit * policy.quotaShare));
    if (cap < policy.minUnits) return undefined;
  }
  let longestWindow = 0;
  const free = limits.map((limit) => Math.max(0, limit.limit - countedUnits(limit, now)));
  for (const [i, limit] of limits.entries()) {
    // Near the top a slice is still up to `share` of what the rate asks (at most `minUnits`): it is
    // used up within about `share` of a TTL, so its unused and unreported units hold little for long.
    const nearTop = Math.min(free[i]!, policy.minUnits, Math.ceil(wanted * policy.share));
    cap = Math.min(cap, Math.max(Math.floor(free[i]! * policy.share), nearTop));
    longestWindow = Math.max(longestWindow, limit.window.windowMs);
  }
  // A quota's cap stands: a slow lease (the only kind whose isolate names its waiters) has none.
  const units = Math.max(Math.min(wanted, cap), quota ? 0 : forWaiters(ask, free));
  // Full: smaller than asked and all a window has free. A window with some left after the slice
  // frees more as it slides, so requests the slice cannot hold still ask (refusing them cost ~1% at
  // demand equal to the limit); a quota's cap only slows the isolate's slices down.
  const full = (units < wanted || units < (ask.waiting ?? 0)) && free.some((left) => left - units <= 0);
  if (units <= 0) return full ? { leaseId: 0, units: 0, ttlMs: ttl, full } : undefined;
  const entry = openLease(ledger, ask, limits, units, ttl, longestWindow, quota ? quota.periodStart(now) : null, now);
  quota?.consume(units, now);
  return { leaseId: entry.leaseId, units, ttlMs: ttl, ...(full && { full }) };
}

/**
 * A lease for a slow key (its isolate's rate asks for fewer than `minUnits` per TTL, or its limit is
 * too small for slices of them): a long-tail key is seen by one isolate every few hundred ms or
 * seconds, so without one nearly every request of it would call its object. Only while each window
 * leaves room: at most `share` of its free budget (so at least 8 units free), never more than the
 * rate asks over the TTL (at least 1), with a TTL up to `slowWindowShare` of the shortest window
 * (never past `ttlMs`). No quota: a dead isolate's slow slices would stay spent. The ledger counts
 * the units as spent like any lease's, so the hard bound holds (docs/rate-limits.md "Slow keys").
 */
function slowLease(
  ledger: LeaseLedger,
  limits: LeasableLimit[],
  quota: QuotaBudget | undefined,
  ask: LeaseAsk,
  ttlMs: number,
  now: number,
  policy: LeasePolicy,
): LeaseGrant | undefined {
  if (quota || limits.length === 0 || !(ask.rate > 0)) return undefined;
  let ttl = ttlMs;
  for (const limit of limits) ttl = Math.min(ttl, Math.floor(limit.window.windowMs * policy.slowWindowShare));
  if (ttl < policy.minTtlMs) return undefined;
  const asked = Math.max(1, Math.ceil((ask.rate * ttl) / 1000));
  let units = asked;
  let longestWindow = 0;
  const free = limits.map((limit) => Math.max(0, limit.limit - countedUnits(limit, now)));
  for (const [i, limit] of limits.entries()) {
    units = Math.min(units, Math.floor(free[i]! * policy.share));
    longestWindow = Math.max(longestWindow, limit.window.windowMs);
  }
  // Requests may wait for the next call only after a slice the rate sized (far from the limit); that
  // call's grant holds their units even past `share` of what is free (rarely needed: the key was far
  // from its limit one lease ago), else takes all that is free and is `full`: each waiter is decided.
  units = Math.max(units, forWaiters(ask, free));
  const full = units < (ask.waiting ?? 0) && free.some((left) => left - units <= 0);
  if (units < 1) return full ? { leaseId: 0, units: 0, ttlMs: ttl, full, slow: true } : undefined;
  const entry = openLease(ledger, ask, limits, units, ttl, longestWindow, null, now);
  const waiters =
    !full && free.every((left) => units * policy.slowWaitersMargin <= Math.floor(left * policy.share)) ? { waiters: units } : {};
  return { leaseId: entry.leaseId, units, ttlMs: ttl, slow: true, ...(full && { full }), ...waiters };
}

/** The units a grant keeps for the requests waiting for it (`LeaseAsk.waiting`): all of them, or all that every window has free. */
function forWaiters(ask: LeaseAsk, free: number[]): number {
  return Math.min(ask.waiting ?? 0, ...free);
}

/** Records a grant of `units` on `limits` from `now` for `ttl`, counted until it has left their longest window. */
function openLease(
  ledger: LeaseLedger,
  ask: LeaseAsk,
  limits: LeasableLimit[],
  units: number,
  ttl: number,
  longestWindow: number,
  quotaPeriodStart: number | null,
  now: number,
): LeaseEntry {
  const end = now + ttl;
  const entry = {
    isolateId: ask.isolateId,
    limitIds: limits.map((l) => l.id),
    units,
    end,
    forgetAt: end + longestWindow,
    quotaPeriodStart,
    closed: false,
  };
  return ledger.open(entry, now);
}
