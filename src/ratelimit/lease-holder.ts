/**
 * Leases, the isolate's side: pure, no I/O (the middleware makes the calls; bench/ and the
 * property tests drive it directly). One `LeaseSlot` per limit set the isolate admits on
 * (a key's object and a route). All times are the ISOLATE's clock.
 *
 * An empty, expired or missing lease never refuses: the request asks the object, which decides
 * exactly. Only a refusal the object gave (a zero lease) refuses here, and at most for one TTL,
 * so a revoked key is learnt within it.
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

/** What a call that may bring a lease carries, and when it was sent (the TTL counts from then). */
export interface SentAsk extends LeaseAsk {
  sentAt: number;
  /** Requests admitted and refused here since the last report: the object's usage counts. */
  admitted: number;
  refused: number;
}

export class LeaseSlot<Refusal> {
  private current: HeldLease | undefined;
  private closed: { leaseId: number; used: number }[] = [];
  private refusal: { until: number; answer: Refusal; cost: number } | undefined;
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

  /** The report and request for the next call; what it reports is not reported again. */
  ask(now: number): SentAsk {
    if (this.current && now >= this.current.endsAt) this.retire();
    const elapsed = Math.max(1, now - this.demandSince);
    const sent: SentAsk = {
      isolateId: this.isolateId,
      closed: this.closed,
      rate: (this.demand * 1000) / elapsed,
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

  /** Takes a grant answered to `sent`: the lease it replaces stops admitting and is reported as closed. */
  grant(sent: SentAsk, grant: LeaseGrant): void {
    this.retire();
    this.refusal = undefined;
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
  }

  /** Stops admitting at once (an admin write here, or the object refused the key). */
  drop(): void {
    this.retire();
    this.refusal = undefined;
  }

  private retire(): void {
    if (this.current) this.closed.push({ leaseId: this.current.leaseId, used: this.current.used });
    this.current = undefined;
  }
}
