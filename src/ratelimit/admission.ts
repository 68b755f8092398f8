// Admission of one request by its limits and quota: the isolate's denial memo, its lease, or one
// call to the deciding object (or, without a key, the client IP's counter).
import type { Context } from "hono";
import type { GatewayEnv } from "../env";
import { cachedKeyCheck, type KeyRecord } from "../keys/record";
import { anonymousTrafficCounter, keyObjectName } from "../objects/names";
import { limiterClient } from "./client";
import type { LimitDecision, LimitRequest } from "./decision";
import { isolateDenials } from "./denial-memo";
import { admitWithLease } from "./isolate-leases";

/**
 * Decides one request on its key's limits and quota (or, with no key, its client IP's counter):
 * from the isolate's denial memo, its lease, or one call to the deciding object. The proxy path
 * and `POST /_gateway/verify` both call this, so they spend one budget, leases included.
 * A refusal is an outcome, not a throw; an unreachable object throws `limiter_unavailable`.
 * `route` is the configured route path (verify's own label without one): usage and leases are per route.
 */
export async function admit<E extends GatewayEnv>(
  c: Context<E>,
  key: KeyRecord | undefined,
  clientIp: string,
  route: string,
  limits: LimitRequest[],
  cost: number,
): Promise<LimitDecision> {
  const leased = key !== undefined && c.get("config").leaseTtlMs > 0;
  if (leased) return admitWithLease(c, key, route, limits, cost);

  const anonymous = anonymousTrafficCounter(clientIp, c.get("config").ipv6ClientPrefix);
  const subject = key ? keyObjectName(key.id) : anonymous;
  const version = key?.version ?? 0;
  const now = Date.now();
  const remembered = isolateDenials.get(subject, route, version, now, cost);
  if (remembered) return remembered;

  const refusedLocally = isolateDenials.takeRefused(subject, route);
  const limiter = limiterClient(c);
  const decision = key
    ? await limiter.check(key.id, {
        limits,
        cost,
        route,
        key: cachedKeyCheck(key),
        ...(refusedLocally > 0 && { refusedLocally }),
      })
    : await limiter.count(anonymous, { limits, cost });
  // With leases, the key's lease keeps the denial (a zero lease) instead of the memo.
  if (decision.outcome === "rate_limited")
    isolateDenials.remember(subject, route, version, decision, Date.now(), c.get("config").leaseTtlMs, cost);
  return decision;
}
