import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";
import { GatewayError } from "../errors";
import { cachedKeyStatus } from "../keys/record";
import { type CheckInput, keyLimitRequests, keyObjectName, type LimitDecision, type LimitRequest, rateLimitHeaders } from "./decision";
import { DenialMemo } from "./denial-memo";

class LimiterTimeout extends Error {}

/** A slow Durable Object is treated like an unreachable one: the route's onLimiterError decides. */
async function withTimeout<T>(call: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new LimiterTimeout(`no decision within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([call, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function rateLimited(decision: LimitDecision): GatewayError {
  const denied = decision.policies[decision.nearest];
  return new GatewayError("rate_limited", `Rate limit "${denied?.name}" exceeded; retry in ${decision.retryAfter} s.`, {
    headers: rateLimitHeaders(decision),
  });
}

/**
 * One RPC to the key's Durable Object (the client IP's on anonymous routes): it re-judges the
 * key's validity against the newest status it was told, and decides every limit at once.
 */
export function rateLimit() {
  const denials = new DenialMemo();
  return createMiddleware<AppEnv>(async function rateLimit(c, next) {
    const key = c.get("key");
    const match = c.get("route");
    const route = match.route;
    const limits: LimitRequest[] = key ? keyLimitRequests(key.rateLimits) : [];
    for (const l of route.rateLimits) limits.push({ id: `route:${route.path}:${l.name}`, ...l });
    if (!key && limits.length === 0) return next();

    const input: CheckInput = { limits, cost: route.cost };
    if (key) input.key = { keyId: key.id, secretId: key.secretId, status: cachedKeyStatus(key) };
    const objectName = key ? keyObjectName(key.id) : `ip:${c.get("clientIp")}`;
    const memoKey = `${objectName}\n${route.path}`;
    const version = key?.version ?? 0;
    const remembered = denials.get(memoKey, version, Date.now());
    if (remembered) {
      c.set("limits", remembered);
      throw rateLimited(remembered);
    }

    const refusedHere = denials.takeRefused(memoKey);
    if (refusedHere > 0) input.refusedLocally = refusedHere;

    let decision: LimitDecision;
    try {
      decision = await withTimeout(c.env.KEY_LIMITER.getByName(objectName).check(input), c.get("config").limiterTimeoutMs);
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
      case "rate_limited":
        denials.remember(memoKey, version, decision, Date.now());
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
