/**
 * The Worker's shell around the lease client (lease-client.ts): binds its clock to `Date.now`, its
 * object calls to `limiterClient(c)` and its background work to `setTimeout` inside `waitUntil`;
 * also the lease a cold key's `resolve` asks for and brings back (verdict.ts).
 */
import type { Context } from "hono";
import type { GatewayEnv } from "../env";
import { cachedKeyCheck, type KeyRecord } from "../keys/record";
import { limiterClient } from "./client";
import type { KeyCheck, LimitDecision, LimitRequest } from "./decision";
import { coldKeyAsk, type LeaseAdmission, LeaseClient, type LeaseTransport } from "./lease-client";
import type { LeaseRequest } from "./lease-holder";

// Read through a closure, not bound once: the clock is whatever `Date` is at the moment (tests move it).
/** The one set of leases of this isolate, shared by the request path and the admin writes it serves. */
export const isolateLeases = new LeaseClient<LimitDecision>({ clock: () => Date.now(), isolateId: () => crypto.randomUUID() });

/** The key's object and the background as one request may use them; the key check is built only for a call. */
function requestTransport<E extends GatewayEnv>(
  c: Context<E>,
  key: KeyRecord,
  route: string,
  limits: LimitRequest[],
): LeaseTransport<LimitDecision> {
  let keyCheck: KeyCheck | undefined;
  const check = (): KeyCheck => {
    keyCheck ??= cachedKeyCheck(key);
    return keyCheck;
  };
  return {
    call(call, answered, failed) {
      const limiter = limiterClient(c);
      const sent =
        call.kind === "renew"
          ? limiter.renew(key.id, { limits, key: check(), route, lease: call.lease })
          : limiter.check(key.id, { limits, cost: call.cost, key: check(), route, ...(call.lease && { lease: call.lease }) });
      sent.then(answered, failed);
      if (call.kind === "renew") inBackground(c, sent);
    },
    later(delayMs, task) {
      inBackground(c, new Promise<void>((resolve) => setTimeout(resolve, delayMs)).then(task));
    },
    // A promise made here and resolved from the answering request's context runs `task` in this one.
    resume(task) {
      let wake = () => {};
      void new Promise<void>((resolve) => {
        wake = resolve;
      }).then(task);
      return wake;
    },
  };
}

function inBackground<E extends GatewayEnv>(c: Context<E>, work: Promise<unknown>): void {
  const logged = work.catch((error: unknown) => console.warn(`lease renewal failed: ${String(error)}`));
  try {
    c.executionCtx.waitUntil(logged);
  } catch {
    // No execution context (a unit test calling the app directly): the promise still runs.
  }
}

/** One request of `key` on `route` as the lease client sees it. */
function leaseAdmission<E extends GatewayEnv>(
  c: Context<E>,
  key: KeyRecord,
  route: string,
  limits: LimitRequest[],
  cost: number,
): LeaseAdmission {
  return {
    keyId: key.id,
    route,
    version: key.version,
    cost,
    bounded: limits.length > 0 || key.quota !== null,
    ttlMs: c.get("config").leaseTtlMs,
  };
}

/** Decides a keyed request with this isolate's leases (`LeaseClient.admit`); an unreachable object rejects. */
export function admitWithLease<E extends GatewayEnv>(
  c: Context<E>,
  key: KeyRecord,
  route: string,
  limits: LimitRequest[],
  cost: number,
): Promise<LimitDecision> {
  const request = leaseAdmission(c, key, route, limits, cost);
  return new Promise((resolve, reject) => isolateLeases.admit(request, requestTransport(c, key, route, limits), resolve, reject));
}

/** What a cold key's `resolve` brings to this isolate's leases: its own lease ask, or the one it races. */
export interface ColdAsk {
  /** Names the lease-asking `resolve` of the secret here (key-records.ts `coldAsk`): its own, or the one it races. */
  id: string;
  /** The lease ask sent with this `resolve` (`coldKeyAsk`); none while another for the same secret is in flight. */
  lease: LeaseRequest | undefined;
  sentAt: number;
  /** This `resolve` is answered or failed: later cold requests of the secret here ask on their own. */
  settled(): void;
  /** Another `resolve` of the secret was sent here while this lease-asking one was in flight. */
  raced(): boolean;
}

/**
 * The lease-asking `resolve` in flight here per secret hash, and whether another raced it. One at a time:
 * the requests racing it are decided by the object, and a lease each would hold units none of them
 * can use. Nor is the asker's lease used once it had racers: each racer gives it back at the object
 * (cold-asks.ts), which may happen after its answer came (docs/rate-limits.md).
 */
const asking = new Map<string, { id: string; raced: boolean }>();

/** The lease side of a cold key's `resolve` about to be sent (`adoptResolved` takes its answer); none with leases off. */
export function coldLeaseAsk<E extends GatewayEnv>(c: Context<E>, hash: string): ColdAsk | undefined {
  const { leaseTtlMs } = c.get("config");
  if (leaseTtlMs <= 0) return undefined;
  const sentAt = Date.now();
  const inFlight = asking.get(hash);
  if (inFlight) {
    inFlight.raced = true;
    return { id: inFlight.id, lease: undefined, sentAt, settled: () => {}, raced: () => false };
  }
  const own = { id: crypto.randomUUID(), raced: false };
  asking.set(hash, own);
  const settled = () => {
    if (asking.get(hash) === own) asking.delete(hash);
  };
  return { id: own.id, lease: coldKeyAsk(isolateLeases.isolateId, leaseTtlMs), sentAt, settled, raced: () => own.raced };
}

/**
 * The decision `resolve` answered, taken into this isolate's leases (`LeaseClient.adopt`): its lease,
 * when it asked for one and no other `resolve` raced it, serves the key's next requests here (one
 * that was raced is given back); a refusal at the limit is admitted from a lease held here that
 * still has a unit.
 */
export function adoptResolved<E extends GatewayEnv>(
  c: Context<E>,
  key: KeyRecord,
  route: string,
  limits: LimitRequest[],
  cost: number,
  cold: ColdAsk | undefined,
  decision: LimitDecision,
): Promise<LimitDecision> {
  if (!cold) return Promise.resolve(decision);
  const sent = cold.lease && { ...cold.lease, sentAt: cold.sentAt };
  const request = leaseAdmission(c, key, route, limits, cost);
  return Promise.resolve(isolateLeases.adopt(request, sent, decision, requestTransport(c, key, route, limits), cold.raced()));
}
