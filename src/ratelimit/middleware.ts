import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";
import { GatewayError } from "../errors";
import { keyRefused } from "../keys/record";
import { admit } from "./admission";
import { type LimitDecision, type LimitRequest, rateLimitHeaders, requestLimits, routeLimitId } from "./decision";

function rateLimited(decision: LimitDecision): GatewayError {
  const denied = decision.policies[decision.nearest];
  return new GatewayError("rate_limited", `Rate limit "${denied?.name}" exceeded; retry in ${decision.retryAfter} s.`, {
    headers: rateLimitHeaders(decision),
  });
}

/** Admits or refuses the request on its key's (or client IP's) limits, quota and validity. */
export function rateLimit() {
  return createMiddleware<AppEnv>(async function rateLimit(c, next) {
    const key = c.get("key");
    const route = c.get("route").route;
    const limits: LimitRequest[] = key
      ? requestLimits(key.rateLimits, key.routeRateLimits, route)
      : route.rateLimits.map((l) => ({ id: routeLimitId(route.path, l.name), ...l }));
    if (!key && limits.length === 0) return next();

    let decision: LimitDecision;
    try {
      decision = await admit(c, key, c.get("clientIp"), route.path, limits, route.cost);
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
        throw key ? keyRefused(decision.outcome, key) : new GatewayError(decision.outcome);
    }
  });
}
