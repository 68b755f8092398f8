/**
 * The Worker's shell around the lease client (lease-client.ts): binds its clock to `Date.now`, its
 * object calls to `limiterClient(c)` and its background work to `setTimeout` inside `waitUntil`.
 */
import type { Context } from "hono";
import type { GatewayEnv } from "../env";
import { cachedKeyCheck, type KeyRecord } from "../keys/record";
import { limiterClient } from "./client";
import type { KeyCheck, LimitDecision, LimitRequest } from "./decision";
import { LeaseClient, type LeaseTransport } from "./lease-client";

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

/** Decides a keyed request with this isolate's leases (`LeaseClient.admit`); an unreachable object rejects. */
export function admitWithLease<E extends GatewayEnv>(
  c: Context<E>,
  key: KeyRecord,
  route: string,
  limits: LimitRequest[],
  cost: number,
): Promise<LimitDecision> {
  const request = {
    keyId: key.id,
    route,
    version: key.version,
    cost,
    bounded: limits.length > 0 || key.quota !== null,
    ttlMs: c.get("config").leaseTtlMs,
  };
  return new Promise((resolve, reject) => isolateLeases.admit(request, requestTransport(c, key, route, limits), resolve, reject));
}
