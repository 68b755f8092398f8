import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";
import { GatewayError } from "../errors";
import { rateLimitHeaders, type CheckInput, type LimitRequest } from "./decision";

/**
 * One RPC to the key's Durable Object (the client IP's on anonymous routes): it re-judges the
 * key's validity against the newest status it was told, and decides every limit at once.
 */
export function rateLimit() {
  return createMiddleware<AppEnv>(async function rateLimit(c, next) {
    const { key, route: match } = c.var;
    const route = match.route;
    const limits: LimitRequest[] = [];
    for (const l of key?.rateLimits ?? []) limits.push({ id: `key:${l.name}`, ...l });
    for (const l of route.rateLimits) limits.push({ id: `route:${route.path}:${l.name}`, ...l });
    if (!key && limits.length === 0) return next();

    const input: CheckInput = { limits, cost: route.cost };
    if (key) {
      input.key = {
        secretId: key.secretId,
        status: {
          version: key.version,
          enabled: key.enabled,
          expiresAt: key.expiresAt,
          revokedAt: key.revokedAt,
          secretExpiry: { [key.secretId]: key.secretExpiresAt },
        },
      };
    }
    const objectName = key ? `key:${key.id}` : `ip:${c.var.clientIp}`;

    let decision;
    try {
      decision = await c.env.KEY_LIMITER.getByName(objectName).check(input);
    } catch (error) {
      if (route.onLimiterError === "open") {
        console.warn(`limiter_unavailable (fail-open) on ${route.path}: ${String(error)}`);
        return next();
      }
      throw new GatewayError("limiter_unavailable", "The rate limiter could not be reached.", { cause: error });
    }

    c.set("limits", decision);
    switch (decision.outcome) {
      case "allowed":
        return next();
      case "rate_limited": {
        const denied = decision.policies[decision.nearest];
        throw new GatewayError("rate_limited", `Rate limit "${denied?.name}" exceeded; retry in ${decision.retryAfter} s.`, {
          headers: rateLimitHeaders(decision),
        });
      }
      default:
        throw new GatewayError(decision.outcome);
    }
  });
}
