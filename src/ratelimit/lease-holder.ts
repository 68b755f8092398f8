/**
 * Leases, the isolate's side: pure, no I/O (the middleware makes the calls; bench/ and the
 * property tests drive it directly). One `LeaseSlot` per limit set the isolate admits on
 * (a key's object and a route). All times are the ISOLATE's clock.
 *
 * An empty, expired or missing lease refuses only on the object's word: after it refused (a zero
 * lease), or, to a request that already waited for one call, after it granted less than asked (a
 * `full` lease: the key is at its limit) while the next call is in flight; each at most for one
 * TTL, so a revoked key is learnt within it.
 * Otherwise the request waits for the call in flight, or asks the object, which decides exactly.
 * One call that may bring a lease is in flight per slot: `step` says what a request does.
 */
import type { LeaseAsk, LeaseGrant } from "./lease-ledger.ts";

interface HeldLease {
  leaseId: number;
  units: number;
  used: number;
  /** Isolate clock: when the call that brought it was sent, plus its TTL. */
  endsAt: number;
  /** Renew in the background from here on (half its TTL). */
  renewAt: number;
}

/** What an isolate sends its key's object about leases (lease-ledger.ts takes it): its reports, a wish for a lease, and the units that may wait for it. */
export interface LeaseRequest extends LeaseAsk {
  /** The isolate's `LEASE_TTL_MS`: no lease lives longer. */
  ttlMs: number;
  /** Requests it admitted and refused on its own since its last report: the key's usage counts. */
  admitted: number;
  refused: number;
}

/** What a call that may bring a lease carries, and when it was sent (the TTL counts from then). */
export interface SentAsk extends LeaseAsk {
  sentAt: number;
  /** Requests admitted and refused here since the last report: the object's usage counts. */
  admitted: number;
  refused: number;
}

/**
 * What a request does: admitted from the lease or refused here (no I/O), waits for the call in
 * flight and steps again, or calls the object (with the lease's reports when no call is in flight).
 */
export type Step<Refusal> = { kind: "admitted" } | { kind: "refused"; answer: Refusal } | { kind: "wait" } | { kind: "call" };

export class LeaseSlot<Refusal> {
  private current: HeldLease | undefined;
  private closed: { leaseId: number; used: number }[] = [];
  private refusal: { until: number; answer: Refusal; cost: number } | undefined;
  /** After a `full` grant, until then: refuse what the lease cannot hold once it waited for a call, while one is in flight. */
  private full: { until: number; answer: Refusal } | undefined;
  /** The object's last answer brought a lease (or none came yet): requests wait for the next one. */
  private leasing = true;
  private admitted = 0;
  private refused = 0;
  private demand = 0;
  private demandSince: number;
  readonly isolateId: string;

  constructor(isolateId: string, now: number) {
    this.isolateId = isolateId;
    this.demandSince = now;
  }

  /** Notes a request asking for `cost` units: the rate the next grant is sized from. */
  observe(cost: number): void {
    this.demand += cost;
  }

  /**
   * Decides what a request for `cost` units does; `calling`: a call that may bring a lease is in
   * flight; `waited`: the request already waited for one. A request the lease cannot hold waits
   * for that call while the object leases, since its answer brings units, but only once when the
   * key is at its limit (the answer was `full`); it calls on its own when the object decides per request.
   */
  step(cost: number, now: number, calling: boolean, waited: boolean): Step<Refusal> {
    if (this.take(cost, now)) return { kind: "admitted" };
    const refused = this.refusedHere(now, cost);
    if (refused !== undefined) return { kind: "refused", answer: refused };
    if (!calling) return { kind: "call" };
    if (waited && this.full && now < this.full.until) {
      this.refused++;
      return { kind: "refused", answer: this.full.answer };
    }
    return this.leasing ? { kind: "wait" } : { kind: "call" };
  }

  /** Counts a request refused here on the answer it waited for (lease-client.ts `waiterRefusal`): reported with the next call. */
  countRefused(): void {
    this.refused++;
  }

  /** Admits from the lease with no I/O; false when it is empty, expired or missing. */
  take(cost: number, now: number): boolean {
    const lease = this.current;
    if (!lease || now >= lease.endsAt || lease.used + cost > lease.units) return false;
    lease.used += cost;
    this.admitted++;
    return true;
  }

  /** Units left in a live lease: all `RateLimit` may honestly promise. */
  unused(now: number): number {
    const lease = this.current;
    return lease && now < lease.endsAt ? lease.units - lease.used : 0;
  }

  /** The object's refusal, while it stands (a zero lease): a request of at least the refused cost is refused here. */
  refusedHere(now: number, cost = 1): Refusal | undefined {
    // A smaller cost may fit sooner than the refused one: the object decides it.
    if (!this.refusal || now >= this.refusal.until || cost < this.refusal.cost) return undefined;
    this.refused++;
    return this.refusal.answer;
  }

  /** About half used, or half its TTL gone: time to renew in the background. */
  wantsRenewal(now: number): boolean {
    const lease = this.current;
    return lease !== undefined && now < lease.endsAt && (2 * lease.used >= lease.units || now >= lease.renewAt);
  }

  /** Something waits to be reported: a closed or run-out lease, or requests decided here. */
  hasReport(now: number): boolean {
    return this.closed.length > 0 || this.admitted > 0 || this.refused > 0 || (this.current !== undefined && now >= this.current.endsAt);
  }

  /**
   * The report and request for the next call: closed leases and counts are not reported again; the
   * lease in use reports its use so far every time (its object counts those units from then on).
   */
  ask(now: number): SentAsk {
    if (this.current && now >= this.current.endsAt) this.retire();
    const elapsed = Math.max(1, now - this.demandSince);
    const sent: SentAsk = {
      isolateId: this.isolateId,
      closed: this.closed,
      rate: (this.demand * 1000) / elapsed,
      ...(this.current && { using: { leaseId: this.current.leaseId, used: this.current.used } }),
      sentAt: now,
      admitted: this.admitted,
      refused: this.refused,
    };
    this.closed = [];
    this.admitted = 0;
    this.refused = 0;
    this.demand = 0;
    this.demandSince = now;
    return sent;
  }

  /** The call never got an answer: report again next time (an unreported lease only stays counted longer). */
  unsent(sent: SentAsk): void {
    this.closed.push(...sent.closed);
    this.admitted += sent.admitted;
    this.refused += sent.refused;
  }

  /**
   * Takes a grant answered to `sent`: the lease it replaces stops admitting and is reported as
   * closed. A `full` grant also refuses, with `full`, what it cannot hold while the next call is
   * in flight; one of 0 units only says so and leaves the current lease be.
   */
  grant(sent: SentAsk, grant: LeaseGrant, full: Refusal): void {
    this.refusal = undefined;
    this.leasing = true;
    this.full = grant.full ? { until: sent.sentAt + grant.ttlMs, answer: full } : undefined;
    if (grant.units === 0) return;
    this.retire();
    this.current = {
      leaseId: grant.leaseId,
      units: grant.units,
      used: 0,
      endsAt: sent.sentAt + grant.ttlMs,
      renewAt: sent.sentAt + grant.ttlMs / 2,
    };
  }

  /** The object refused (a zero lease): refuse here until `retryAfterMs` or the TTL runs out, from when the call was sent. */
  refuse(sent: SentAsk, answer: Refusal, retryAfterMs: number, ttlMs: number, cost = 1): void {
    const until = sent.sentAt + Math.min(retryAfterMs, ttlMs);
    if (until > sent.sentAt) this.refusal = { until, answer, cost };
    this.full = undefined;
  }

  /** The object answered with no lease (a small limit, low traffic): requests ask it one by one. */
  unleased(): void {
    this.leasing = false;
    this.full = undefined;
  }

  /** Stops admitting at once (an admin write here, or the object refused the key). */
  drop(): void {
    this.retire();
    this.refusal = undefined;
    this.full = undefined;
    this.leasing = true;
  }

  private retire(): void {
    if (this.current) this.closed.push({ leaseId: this.current.leaseId, used: this.current.used });
    this.current = undefined;
  }
}
