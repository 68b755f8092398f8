// Failed key lookups per client (docs/keys.md § Forged keys): a well-formed key costs a D1 query
// when it is not cached, and anyone can mint well-formed keys, so unknown ones are counted per
// client address and, past the limit, that client's uncached keys are refused before D1.
import type { Context } from "hono";
import type { GatewayEnv } from "../env";
import { GatewayError } from "../errors";
import { clientIp } from "../http/client-ip";
import { type ClientIpCounterName, failedKeyLookupCounter } from "../objects/names";
import { limiterClient } from "../ratelimit/client";
import { type LimitRequest, rateLimitHeaders } from "../ratelimit/decision";

/** Unknown keys a client may present per minute before its uncached keys are refused for the rest of the window. */
export const FAILED_KEY_LOOKUPS: LimitRequest = { id: "key-lookup-failures", name: "key-lookups", limit: 20, window: 60 };

const MAX_BLOCKED_CLIENTS = 10_000;
/** Counter → until when this isolate refuses its lookups without asking anyone. Bounded: the oldest goes first. */
const blockedUntil = new Map<ClientIpCounterName, number>();

/** What `verifyKey` asks before and after a D1 lookup on a cache miss. */
export interface LookupFailures {
  /** Throws `429 rate_limited` while this client is blocked: before the D1 query. */
  refuseIfBlocked(now: number): void;
  /** Counts one unknown key; throws `429 rate_limited` when that was one too many. */
  record(now: number): Promise<void>;
}

const tooMany = (retryAfter: number, headers: Record<string, string> = {}) =>
  new GatewayError("rate_limited", `Too many unknown API keys from this address; retry in ${retryAfter} s.`, {
    headers: { ...headers, "retry-after": String(retryAfter) },
  });

/** The request's client's failed lookups, counted in its `ClientIpCounter`. */
export function failedKeyLookups<E extends GatewayEnv>(c: Context<E>): LookupFailures {
  const counter = failedKeyLookupCounter(clientIp(c.req.raw), c.get("config").ipv6ClientPrefix);
  return {
    refuseIfBlocked(now) {
      const until = blockedUntil.get(counter);
      if (until === undefined) return;
      if (until > now) throw tooMany(Math.ceil((until - now) / 1000));
      blockedUntil.delete(counter);
    },
    async record(now) {
      let decision: Awaited<ReturnType<ReturnType<typeof limiterClient>["count"]>>;
      try {
        decision = await limiterClient(c).count(counter, { limits: [FAILED_KEY_LOOKUPS], cost: 1 });
      } catch {
        return; // the counter unreachable: the key is still refused as unknown
      }
      if (decision.outcome !== "rate_limited") return;
      const retryAfter = Math.max(1, decision.retryAfter ?? FAILED_KEY_LOOKUPS.window);
      blockedUntil.delete(counter);
      if (blockedUntil.size >= MAX_BLOCKED_CLIENTS) blockedUntil.delete(blockedUntil.keys().next().value as ClientIpCounterName);
      blockedUntil.set(counter, now + retryAfter * 1000);
      throw tooMany(retryAfter, rateLimitHeaders(decision));
    },
  };
}
