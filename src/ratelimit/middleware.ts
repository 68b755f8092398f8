import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";
import { GatewayError } from "../errors";
import { cachedKeyCheck } from "../keys/record";
import { anonymousTrafficCounter, keyObjectName, limiterClient } from "./client";
import { keyLimitRequests, type LimitDecision, type LimitRequest, rateLimitHeaders } from "./decision";
import { isolateDenials } from "./denial-memo";
import { admitWithLease } from "./isolate-leases";

function rateLimited(decision: LimitDecision): GatewayError {
  const denied = decision.policies[decision.nearest];
  return new GatewayError("rate_limited", `Rate limit "${denied?.name}" exceeded; retry in ${decision.retryAfter} s.`, {
    headers: rateLimitHeaders(decision),
  });
}

/**
 * Asks the deciding object: the key's object, which re-judges the key's validity against the
 * newest status it was told and decides every limit at once, or the client IP's counter on
 * anonymous calls. One RPC; `refusedLocally` reports what the denial memo turned away meanwhile.
 */
function askObject(c: Context<AppEnv>, limits: LimitRequest[], refusedLocally: number): Promise<LimitDecision> {
  const key = c.get("key");
  const cost = c.get("route").route.cost;
  const limiter = limiterClient(c);
  if (!key) return limiter.count(anonymousTrafficCounter(c.get("clientIp")), { limits, cost });
  return limiter.check(key.id, {
    limits,
    cost,
    route: c.get("route").route.path,
    key: cachedKeyCheck(key),
    ...(refusedLocally > 0 && { refusedLocally }),
  });
}

/** Admits or refuses the request on its key's (or client IP's) limits, quota and validity. */
export function rateLimit() {
  return createMiddleware<AppEnv>(async function rateLimit(c, next) {
    const key = c.get("key");
    const route = c.get("route").route;
    const limits: LimitRequest[] = key ? keyLimitRequests(key.rateLimits) : [];
    for (const l of route.rateLimits) limits.push({ id: `route:${route.path}:${l.name}`, ...l });
    if (!key && limits.length === 0) return next();

    const leased = key !== undefined && c.get("config").leaseTtlMs > 0;
    const subject = key ? keyObjectName(key.id) : anonymousTrafficCounter(c.get("clientIp"));
    const version = key?.version ?? 0;
    const remembered = leased ? undefined : isolateDenials.get(subject, route.path, version, Date.now());
    if (remembered) {
      c.set("limits", remembered);
      throw rateLimited(remembered);
    }

    let decision: LimitDecision;
    try {
      decision = leased
        ? await admitWithLease(c, key, limits, route.cost)
        : await askObject(c, limits, isolateDenials.takeRefused(subject, route.path));
    } catch (error) {
      if (route.onLimiterError !== "open") throw error;
      console.warn(`limiter_unavailable (fail-open) on ${route.path}: ${String(error instanceof GatewayError ? error.cause : error)}`);
      return next();
    }

    c.set("limits", decision);
    switch (decision.outcome) {
      case "allowed":
        return next();
      case "rate_limited":
        // With leases, the key's lease keeps the denial (a zero lease) instead of the memo.
        if (!leased) isolateDenials.remember(subject, route.path, version, decision, Date.now(), c.get("config").leaseTtlMs);
        throw rateLimited(decision);
      case "quota_exceeded": {
        const { quota } = decision;
        const headers = rateLimitHeaders(decision);
        // A `total` quota never comes back, so there is no honest Retry-After to give.
        if (decision.retryAfter !== undefined) headers["retry-after"] = String(decision.retryAfter);
        const when = quota?.reset != null ? `; it resets in ${quota.reset} s` : "";
        throw new GatewayError("quota_exceeded", `The key's ${quota?.period ?? ""} quota of ${quota?.limit ?? "?"} is used up${when}.`, {
          headers,
        });
      }
      default:
        throw new GatewayError(decision.outcome);
    }
  });
}
