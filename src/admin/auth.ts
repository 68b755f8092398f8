import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { GatewayEnv } from "../env";
import { GatewayError } from "../errors";
import { type LimitRequest, rateLimitHeaders } from "../ratelimit/decision";

const encoder = new TextEncoder();

/** Equal-time comparison: both sides are hashed first, so length and content leak nothing. */
export async function tokensEqual(presented: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(presented)),
    crypto.subtle.digest("SHA-256", encoder.encode(expected)),
  ]);
  return crypto.subtle.timingSafeEqual(a, b);
}

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

/** Wrong admin tokens allowed per client IP before it must wait: slows brute force to a crawl. */
export const FAILED_ADMIN_AUTH: LimitRequest = { id: "admin-auth-failures", name: "admin-auth", limit: 10, window: 300 };

function failureCounter(c: Context<GatewayEnv>) {
  return c.env.KEY_LIMITER.getByName(`admin-ip:${c.req.header("cf-connecting-ip") ?? "unknown"}`);
}

async function refuseIfBlocked(c: Context<GatewayEnv>): Promise<void> {
  const [state] = await failureCounter(c).peek([FAILED_ADMIN_AUTH]);
  if (state && state.remaining === 0) {
    throw new GatewayError("rate_limited", `Too many failed admin logins from this address; retry in ${state.reset} s.`, {
      headers: { "retry-after": String(Math.max(1, state.reset)) },
    });
  }
}

async function recordFailure(c: Context<GatewayEnv>): Promise<void> {
  const decision = await failureCounter(c).check({ limits: [FAILED_ADMIN_AUTH], cost: 1 });
  if (decision.outcome === "rate_limited") {
    throw new GatewayError("rate_limited", "Too many failed admin logins from this address.", { headers: rateLimitHeaders(decision) });
  }
}

/** `Authorization: Bearer <ADMIN_TOKEN>` on every admin path; failed attempts are limited per client IP. */
export function adminAuth() {
  return createMiddleware<GatewayEnv>(async function adminAuth(c, next) {
    const realm = { "www-authenticate": `Bearer realm="${c.get("config").realm}-admin"` };
    const expected = c.env.ADMIN_TOKEN;
    if (!expected) throw new GatewayError("gateway_misconfigured", "The ADMIN_TOKEN secret is not set.");
    const presented = c.req.header("authorization")?.match(BEARER)?.[1];
    if (!presented) throw new GatewayError("missing_key", "Admin calls need Authorization: Bearer <ADMIN_TOKEN>.", { headers: realm });
    try {
      await refuseIfBlocked(c);
      if (!(await tokensEqual(presented, expected))) {
        await recordFailure(c);
        throw new GatewayError("invalid_key", "The admin token is not valid.", { headers: realm });
      }
    } catch (error) {
      if (error instanceof GatewayError) throw error;
      throw new GatewayError("limiter_unavailable", "Admin calls are refused while the limiter is unreachable.", { cause: error });
    }
    await next();
  });
}
