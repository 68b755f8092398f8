import type { Context } from "hono";
import type { GatewayEnv } from "../env";
import { cachedKeyCheck, type KeyRecord } from "../keys/record";
import { limiterClient } from "./client";
import type { KeyCheck, LimitDecision, LimitRequest } from "./decision";
import { LeaseSlot, type SentAsk } from "./lease-holder";
import { defaultLeasePolicy } from "./lease-ledger";

interface HeldLease {
  slot: LeaseSlot<LimitDecision>;
  version: number;
  /** The object's last admitting answer: the `RateLimit` headers of local admissions start from it. */
  template: LimitDecision | undefined;
  /** The one call in flight that may bring a lease: requests that find the lease empty wait for it. */
  inFlight: Promise<LimitDecision> | undefined;
  /** Requests seen here since `since`, within one TTL: whether a key with no limit and no quota is busy enough to lease. */
  recent: { since: number; requests: number };
  /** Calls the object answered: a background report stands down once a later answer has carried the reports. */
  answered: number;
  /** A background report of the refusals decided here is scheduled: one at a time, however many are refused. */
  refusalReportDue: boolean;
}

/** Outcomes that say the key itself is refused (revoked, disabled, expired…), not a limit. */
const limitOutcomes = new Set<LimitDecision["outcome"]>(["allowed", "rate_limited", "quota_exceeded"]);

/**
 * This isolate's leases, one per key and route (docs/rate-limits.md "Consistency model"). Bounded
 * in size: a lease evicted here is never reported, so its object counts it until it expires.
 */
export class IsolateLeases {
  private id: string | undefined;
  private readonly held = new Map<string, HeldLease>();

  constructor(private readonly maxEntries = 10_000) {}

  /** Names this isolate's leases at every object; made on first use (no randomness at global scope in Workers). */
  get isolateId(): string {
    this.id ??= crypto.randomUUID();
    return this.id;
  }

  /** The key's lease on a route; a new key version (an admin write) ends the old one. */
  of(keyId: string, route: string, version: number, now: number): HeldLease {
    const name = `${keyId}\n${route}`;
    let held = this.held.get(name);
    if (held && held.version !== version) {
      held.slot.drop();
      held.version = version;
      held.template = undefined;
    }
    if (!held) {
      if (this.held.size >= this.maxEntries) this.held.delete(this.held.keys().next().value as string);
      held = {
        slot: new LeaseSlot(this.isolateId, now),
        version,
        template: undefined,
        inFlight: undefined,
        recent: { since: now, requests: 0 },
        answered: 0,
        refusalReportDue: false,
      };
      this.held.set(name, held);
    }
    return held;
  }

  /** Stops admitting from the key's leases at once: this isolate just served an admin write to it. */
  drop(keyId: string): void {
    const prefix = `${keyId}\n`;
    for (const [name, held] of this.held)
      if (name.startsWith(prefix)) {
        held.slot.drop();
        held.template = undefined;
      }
  }
}

/** The one set of leases of this isolate, shared by the request path and the admin writes it serves. */
export const isolateLeases = new IsolateLeases();

/** An admission from the lease, with no I/O: the headers promise no more than its unused units. */
function localAdmission(held: HeldLease, now: number): LimitDecision {
  const template = held.template;
  const unused = held.slot.unused(now);
  if (!template) return { outcome: "allowed", policies: [], nearest: -1 };
  return {
    outcome: "allowed",
    policies: template.policies.map((p) => ({ ...p, remaining: Math.min(p.remaining, unused) })),
    nearest: template.nearest,
    ...(template.quota && { quota: { ...template.quota, remaining: Math.min(template.quota.remaining, unused) } }),
  };
}

/** The refusal a `full` lease gives what it cannot hold: the key is at its limit, its next slice is on the way. */
function atLimit(decision: LimitDecision): LimitDecision {
  const policies = decision.policies.map((p, i) => (i === decision.nearest ? { ...p, remaining: 0, reset: Math.max(1, p.reset) } : p));
  return { outcome: "rate_limited", policies, nearest: decision.nearest, retryAfter: 1 };
}

function applyAnswer(held: HeldLease, sent: SentAsk, decision: LimitDecision, ttlMs: number, cost: number): void {
  if (decision.lease) {
    held.slot.grant(sent, decision.lease, atLimit(decision));
    if (decision.lease.units > 0) held.template = decision;
  } else if (!limitOutcomes.has(decision.outcome)) {
    held.slot.drop();
    held.template = undefined;
  } else if (decision.outcome === "rate_limited" && decision.refuseForMs !== undefined) {
    held.slot.refuse(sent, decision, decision.refuseForMs, ttlMs, cost);
  } else if (decision.outcome === "allowed") {
    held.slot.unleased();
  }
}

interface LeaseCall<E extends GatewayEnv> {
  c: Context<E>;
  held: HeldLease;
  keyId: string;
  key: KeyCheck;
  limits: LimitRequest[];
  /** The matched route's `path`: the object counts usage per route. */
  route: string;
}

/** One call that carries the lease's reports and may bring a lease; `cost` undefined: a renewal. */
function leaseCall<E extends GatewayEnv>(request: LeaseCall<E>, cost: number | undefined): Promise<LimitDecision> {
  const { c, held, keyId, key, limits, route } = request;
  const ttlMs = c.get("config").leaseTtlMs;
  const sent = held.slot.ask(Date.now());
  const { isolateId, closed, rate, using, admitted, refused } = sent;
  const lease = { isolateId, closed, rate, using, admitted, refused, ttlMs };
  const limiter = limiterClient(c);
  const call =
    cost === undefined ? limiter.renew(keyId, { limits, key, route, lease }) : limiter.check(keyId, { limits, cost, key, route, lease });
  const flight: Promise<LimitDecision> = call
    .then(
      (decision) => {
        held.answered++;
        applyAnswer(held, sent, decision, ttlMs, cost ?? 1);
        // This answer's report stands in for every earlier one: whatever is left to report (a new
        // lease, or one still in use after an answer that brought none) goes out once traffic stops.
        const now = Date.now();
        if (held.slot.unused(now) > 0 || held.slot.hasReport(now)) reportWhenOver(request, decision.lease?.ttlMs ?? ttlMs);
        return decision;
      },
      (error: unknown) => {
        held.slot.unsent(sent);
        throw error;
      },
    )
    .finally(() => {
      if (held.inFlight === flight) held.inFlight = undefined;
    });
  held.inFlight = flight;
  return flight;
}

/**
 * In the background, once the lease has run out: report it if no later call did, so its unused
 * units and usage reach the object when traffic stops. Under steady traffic renewals carry the
 * reports; a report per grant would itself be answered with a grant, and so on.
 */
function reportWhenOver<E extends GatewayEnv>(call: LeaseCall<E>, ttlMs: number): void {
  const { held } = call;
  const answered = held.answered;
  const report = new Promise<void>((resolve) => setTimeout(resolve, ttlMs + 10)).then(() => {
    if (held.inFlight || held.answered !== answered || !held.slot.hasReport(Date.now())) return;
    return leaseCall(call, undefined).then(() => undefined);
  });
  inBackground(call.c, report);
}

/**
 * In the background, one TTL after a request was refused here (a zero or `full` lease): report the
 * refusals if no call did meanwhile, so the key's usage shows them within seconds even when the key
 * falls silent; otherwise only its next request would carry them (docs/rate-limits.md).
 */
function reportRefusalsSoon<E extends GatewayEnv>(call: LeaseCall<E>, ttlMs: number): void {
  const { held } = call;
  if (held.refusalReportDue) return;
  held.refusalReportDue = true;
  const answered = held.answered;
  const report = new Promise<void>((resolve) => setTimeout(resolve, ttlMs + 10)).then(() => {
    held.refusalReportDue = false;
    // Under steady traffic the next call, once the refusal ends, has carried them already.
    if (held.inFlight || held.answered !== answered || !held.slot.hasReport(Date.now())) return;
    return leaseCall(call, undefined).then(() => undefined);
  });
  inBackground(call.c, report);
}

function inBackground<E extends GatewayEnv>(c: Context<E>, work: Promise<unknown>): void {
  const logged = work.catch((error: unknown) => console.warn(`lease renewal failed: ${String(error)}`));
  try {
    c.executionCtx.waitUntil(logged);
  } catch {
    // No execution context (a unit test calling the app directly): the promise still runs.
  }
}

/**
 * Whether a key with no limit and no quota is busy enough here to lease: its lease is a slice of
 * nothing, so it saves calls only past `minUnits` requests per TTL; below that, a lease and the
 * report that follows it would cost two calls where one per request does.
 */
function busyHere(held: HeldLease, now: number, ttlMs: number): boolean {
  if (now - held.recent.since > ttlMs) held.recent = { since: now, requests: 0 };
  held.recent.requests++;
  return held.recent.requests >= defaultLeasePolicy.minUnits;
}

/**
 * Decides a keyed request with leases: from this isolate's lease when it has units (no I/O, a
 * renewal in the background when about half is gone), else as `LeaseSlot.step` says: refused on
 * the object's recent word, waiting for the one call in flight, or asking the object, which
 * decides exactly and may hand a lease back.
 */
export async function admitWithLease<E extends GatewayEnv>(
  c: Context<E>,
  key: KeyRecord,
  route: string,
  limits: LimitRequest[],
  cost: number,
): Promise<LimitDecision> {
  const held = isolateLeases.of(key.id, route, key.version, Date.now());
  // Built only for a call: a request admitted from the lease allocates none of it.
  const keyCheck = (): KeyCheck => cachedKeyCheck(key);
  const call = (): LeaseCall<E> => ({ c, held, keyId: key.id, key: keyCheck(), limits, route });
  held.slot.observe(cost);
  for (let waited = false; ; waited = true) {
    const step = held.slot.step(cost, Date.now(), held.inFlight !== undefined, waited);
    if (step.kind === "refused") {
      if (!held.refusalReportDue) reportRefusalsSoon(call(), c.get("config").leaseTtlMs);
      return step.answer;
    }
    if (step.kind === "admitted") {
      if (!held.inFlight && held.slot.wantsRenewal(Date.now())) inBackground(c, leaseCall(call(), undefined));
      return localAdmission(held, Date.now());
    }
    if (step.kind === "call") break;
    await held.inFlight?.catch(() => undefined);
  }
  const leasable = limits.length > 0 || key.quota !== null || busyHere(held, Date.now(), c.get("config").leaseTtlMs);
  const decision =
    held.inFlight || !leasable
      ? await limiterClient(c).check(key.id, { limits, cost, key: keyCheck(), route })
      : await leaseCall(call(), cost);
  // A lease that arrived meanwhile may still hold a unit the object could no longer give.
  if (decision.outcome === "rate_limited" && held.slot.take(cost, Date.now())) return localAdmission(held, Date.now());
  return decision;
}
