import type { Context } from "hono";
import type { AppEnv } from "../env";
import { cachedKeyCheck, type KeyRecord } from "../keys/record";
import { limiterClient } from "./client";
import type { KeyCheck, LimitDecision, LimitRequest } from "./decision";
import { LeaseSlot, type SentAsk } from "./lease-holder";

interface HeldLease {
  slot: LeaseSlot<LimitDecision>;
  version: number;
  /** The object's last admitting answer: the `RateLimit` headers of local admissions start from it. */
  template: LimitDecision | undefined;
  /** The one call in flight that may bring a lease: requests that find the lease empty wait for it. */
  inFlight: Promise<LimitDecision> | undefined;
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
      held = { slot: new LeaseSlot(this.isolateId, now), version, template: undefined, inFlight: undefined };
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

/** Admits from the lease with no I/O; the headers promise no more than its unused units. */
function takeLocal(held: HeldLease, cost: number, now: number): LimitDecision | undefined {
  const template = held.template;
  if (!template || !held.slot.take(cost, now)) return undefined;
  const unused = held.slot.unused(now);
  return {
    outcome: "allowed",
    policies: template.policies.map((p) => ({ ...p, remaining: Math.min(p.remaining, unused) })),
    nearest: template.nearest,
    ...(template.quota && { quota: { ...template.quota, remaining: Math.min(template.quota.remaining, unused) } }),
  };
}

function applyAnswer(held: HeldLease, sent: SentAsk, decision: LimitDecision, ttlMs: number): void {
  if (decision.lease) {
    held.slot.grant(sent, decision.lease);
    held.template = decision;
  } else if (!limitOutcomes.has(decision.outcome)) {
    held.slot.drop();
    held.template = undefined;
  } else if (decision.outcome === "rate_limited" && decision.refuseForMs !== undefined) {
    held.slot.refuse(sent, decision, decision.refuseForMs, ttlMs);
  }
}

interface LeaseCall {
  c: Context<AppEnv>;
  held: HeldLease;
  keyId: string;
  key: KeyCheck;
  limits: LimitRequest[];
  /** The matched route's `path`: the object counts usage per route. */
  route: string;
}

/** One call that carries the lease's reports and may bring a lease; `cost` undefined: a renewal. */
function leaseCall(request: LeaseCall, cost: number | undefined): Promise<LimitDecision> {
  const { c, held, keyId, key, limits, route } = request;
  const ttlMs = c.get("config").leaseTtlMs;
  const sent = held.slot.ask(Date.now());
  const lease = { isolateId: sent.isolateId, closed: sent.closed, rate: sent.rate, admitted: sent.admitted, refused: sent.refused, ttlMs };
  const limiter = limiterClient(c);
  const call =
    cost === undefined ? limiter.renew(keyId, { limits, key, route, lease }) : limiter.check(keyId, { limits, cost, key, route, lease });
  const flight: Promise<LimitDecision> = call
    .then(
      (decision) => {
        applyAnswer(held, sent, decision, ttlMs);
        if (decision.lease) reportWhenOver(request, decision.lease.ttlMs);
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

/** In the background, once the lease has run out: report it if no request did, so its unused units and usage reach the object. */
function reportWhenOver(call: LeaseCall, ttlMs: number): void {
  const { held } = call;
  const report = new Promise<void>((resolve) => setTimeout(resolve, ttlMs + 10)).then(() => {
    if (held.inFlight || !held.slot.hasReport(Date.now())) return;
    return leaseCall(call, undefined).then(() => undefined);
  });
  inBackground(call.c, report);
}

function inBackground(c: Context<AppEnv>, work: Promise<unknown>): void {
  const logged = work.catch((error: unknown) => console.warn(`lease renewal failed: ${String(error)}`));
  try {
    c.executionCtx.waitUntil(logged);
  } catch {
    // No execution context (a unit test calling the app directly): the promise still runs.
  }
}

/**
 * Decides a keyed request with leases: from this isolate's lease when it has units (no I/O, a
 * renewal in the background when about half is gone), else by asking the key's object, which
 * decides exactly and may hand a lease back. Only the object, or its recent refusal, refuses.
 */
export async function admitWithLease(c: Context<AppEnv>, key: KeyRecord, limits: LimitRequest[], cost: number): Promise<LimitDecision> {
  const route = c.get("route").route.path;
  const held = isolateLeases.of(key.id, route, key.version, Date.now());
  const call: LeaseCall = {
    c,
    held,
    keyId: key.id,
    key: cachedKeyCheck(key),
    limits,
    route,
  };
  held.slot.observe(cost);
  const refused = held.slot.refusedHere(Date.now());
  if (refused) return refused;
  const local = takeLocal(held, cost, Date.now());
  if (local) {
    if (!held.inFlight && held.slot.wantsRenewal(Date.now())) inBackground(c, leaseCall(call, undefined));
    return local;
  }
  if (held.inFlight) {
    await held.inFlight.catch(() => undefined);
    const shared = takeLocal(held, cost, Date.now());
    if (shared) return shared;
  }
  const decision = held.inFlight
    ? await limiterClient(c).check(key.id, { limits, cost, key: call.key, route })
    : await leaseCall(call, cost);
  // A lease that arrived meanwhile may still hold a unit the object could no longer give.
  if (decision.outcome === "rate_limited") return takeLocal(held, cost, Date.now()) ?? decision;
  return decision;
}
