// Deciding in a key's or an identity's object: validity first, then every limit and quota of a
// request in one synchronous step, leases granted and settled. What it decides for is a
// DecisionSubject (subject.ts); usage and alerts are noted here and sent by the object's alarm.
import type { KeyRefusal } from "../keys/record";
import {
  type CheckInput,
  type InspectInput,
  type KeyInspection,
  type LeaseRequest,
  type LimitDecision,
  type LimitRequest,
  nearestExhaustion,
  type PolicyState,
  type RenewInput,
} from "./decision";
import type { KeyUsage } from "./key-usage";
import { closeLeases, grantLease, type LeaseGrant, type QuotaBudget, refusalMs } from "./lease-ledger";
import type { LeaseStore } from "./lease-store";
import type { ObjectAlarm } from "./object-alarm";
import { type QuotaState, tightestQuota } from "./quota";
import type { Admission, DecisionSubject, HeldQuota } from "./subject";
import type { LeasesIn, WindowStore } from "./window-store";

/** The state a deciding object keeps whatever it decides for. */
export interface DeciderParts {
  windows: WindowStore;
  leases: LeaseStore;
  usage: KeyUsage;
  alarm: ObjectAlarm;
}

/** The answer to a refused key: nothing counted, no policies. */
const refused = (outcome: KeyRefusal | "older_record"): LimitDecision => ({ outcome, policies: [], nearest: -1 });

/**
 * Decides requests for a subject. Concurrent requests are serialised by the object, and a denial
 * consumes nothing. Writes made in one turn are flushed together before the answer leaves (the
 * output gate), so a decision is never acknowledged and then lost.
 */
export class Decider {
  private readonly leasesIn: LeasesIn;

  constructor(private readonly parts: DeciderParts) {
    this.leasesIn = (limitId) => parts.leases.ledger.leasesIn(limitId);
  }

  /** Decides one request: key validity, then all its limits at once; may hand a lease back. */
  check(subject: DecisionSubject, input: CheckInput): LimitDecision {
    const { windows, leases, usage } = this.parts;
    const now = Date.now();
    const opened = this.open(subject, input, now);
    if ("outcome" in opened) return opened;
    if (subject.olderRecord(input.key)) return this.reloadFirst(subject, input, opened, now);
    const { keyId, limits, quotas, budget } = opened;
    if (input.lease) this.settleLeases(subject, input.lease, opened, input.route, now);
    if (input.refusedLocally) usage.record(now, keyId, input.route, "rate_limited", input.refusedLocally);
    // Quotas are judged before the windows are touched: a request they refuse consumes no rate limit.
    const short = quotas.find((q) => !q.counter.fits(q.spec, input.cost, now));
    if (short) {
      usage.record(now, keyId, input.route, "quota_exceeded");
      const policies = windows.peek(limits, now, this.leasesIn);
      const state = short.counter.state(short.spec, now);
      return {
        outcome: "quota_exceeded",
        policies,
        nearest: nearestExhaustion(policies),
        quota: state,
        ...(state.reset !== null && { retryAfter: state.reset }),
      };
    }
    const decision = windows.decide(limits, input.cost, now, this.leasesIn);
    usage.record(now, keyId, input.route, decision.outcome);
    if (decision.outcome === "rate_limited") {
      const denied = decision.policies[decision.nearest];
      if (keyId && subject.refused(keyId, now, denied?.name ?? "", decision.retryAfter ?? 0)) this.parts.alarm.alertSoon(now);
      if (!input.lease || decision.deniedUntil === undefined) return decision;
      const states = windows.pruned(limits, now, this.leasesIn);
      return { ...decision, refuseForMs: refusalMs(states, leases.ledger, input.cost, input.lease.ttlMs, now) };
    }
    if (keyId) usage.used(keyId, now);
    budget?.consume(input.cost, now);
    const lease = input.lease && this.grant(limits, budget, input.lease, now);
    if (subject.quotaSpent(opened, now)) this.parts.alarm.alertSoon(now);
    return { ...decision, ...quotaState(quotas, now), ...(lease && { lease }) };
  }

  /**
   * A lease renewal, sent in the background: the isolate's reports, then a new lease if the budget
   * allows. A key that is no longer valid gets its refusal instead, so every isolate learns it
   * within one lease TTL.
   */
  renew(subject: DecisionSubject, input: RenewInput): LimitDecision {
    const now = Date.now();
    const opened = this.open(subject, input, now);
    if ("outcome" in opened) return opened;
    if (subject.olderRecord(input.key)) return this.reloadFirst(subject, input, opened, now);
    const { limits, quotas, budget } = opened;
    this.settleLeases(subject, input.lease, opened, input.route, now);
    const lease = this.grant(limits, budget, input.lease, now);
    if (subject.quotaSpent(opened, now)) this.parts.alarm.alertSoon(now);
    const policies = this.parts.windows.peek(limits, now, this.leasesIn);
    return { outcome: "allowed", policies, nearest: nearestExhaustion(policies), ...quotaState(quotas, now), ...(lease && { lease }) };
  }

  /** The key's validity, limits and quota as they stand, consuming nothing (`GET /_gateway/me`). */
  inspect(subject: DecisionSubject, input: InspectInput): KeyInspection {
    const now = Date.now();
    const admission = subject.admit(input, now);
    if (typeof admission === "string") return { outcome: admission, policies: [], quota: null, expiresAt: null };
    if (subject.olderRecord(input.key)) return { outcome: "older_record", policies: [], quota: null, expiresAt: null };
    return {
      outcome: "allowed",
      policies: this.parts.windows.peek(admission.limits, now, this.leasesIn),
      quota: quotaState(admission.quotas, now).quota ?? null,
      expiresAt: admission.expiresAt,
    };
  }

  /** Current remaining and reset for each limit, consuming nothing. */
  peek(limits: LimitRequest[]): PolicyState[] {
    return this.parts.windows.peek(limits, Date.now(), this.leasesIn);
  }

  /**
   * What every deciding call does first: judge the key, and its identity when it has one (a refusal
   * ends the call), let the subject do its bookkeeping, and have the usage flushed to D1 soon.
   */
  private open(subject: DecisionSubject, input: CheckInput | RenewInput, now: number): LimitDecision | Admission {
    const admission = subject.admit(input, now);
    if (typeof admission === "string") return refused(admission);
    subject.opened(input);
    this.parts.alarm.flushSoon(now);
    return admission;
  }

  /**
   * Decides nothing on an older record of a valid key (a refusal on the newest status is answered
   * as it is), but takes the lease reports it carries: they are of requests already decided.
   */
  private reloadFirst(subject: DecisionSubject, input: CheckInput | RenewInput, admission: Admission, now: number): LimitDecision {
    if (input.lease) this.settleLeases(subject, input.lease, admission, input.route, now);
    return refused("older_record");
  }

  /** Shrinks the leases an isolate closed, gives their unused quota back, and counts what it admitted and refused. */
  private settleLeases(subject: DecisionSubject, lease: LeaseRequest, admission: Admission, route: string, now: number): void {
    const { leases, usage, windows } = this.parts;
    const { keyId, budget } = admission;
    closeLeases(leases.ledger, lease, budget, now, (entry, at) => windows.foldLease(entry, at));
    leases.persist();
    if (lease.admitted > 0) {
      usage.record(now, keyId, route, "allowed", lease.admitted);
      if (keyId) usage.used(keyId, now);
    }
    if (lease.refused > 0) usage.record(now, keyId, route, "rate_limited", lease.refused);
    // Refusals made in the isolate follow one the object made: they keep that spell going.
    if (keyId && lease.refused > 0 && subject.refused(keyId, now, "", 0, lease.refused)) this.parts.alarm.alertSoon(now);
  }

  private grant(limits: LimitRequest[], budget: QuotaBudget | undefined, lease: LeaseRequest, now: number): LeaseGrant | undefined {
    if (lease.ttlMs <= 0) return undefined;
    const { windows, leases } = this.parts;
    const grant = grantLease(leases.ledger, windows.pruned(limits, now, this.leasesIn), budget, lease, lease.ttlMs, now);
    leases.persist();
    return grant;
  }
}

/** The quota nearest exhaustion, for the answer's `quota`. */
function quotaState(quotas: HeldQuota[], now: number): { quota?: QuotaState } {
  const quota = tightestQuota(quotas.map((q) => q.counter.state(q.spec, now)));
  return quota ? { quota } : {};
}
