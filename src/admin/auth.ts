// The admin API's authentication (docs/operators.md): ADMIN_TOKEN or an operator token as a Bearer, wrong tokens
// limited per client IP before they are judged (docs/security.md), and `requireScope()` for each route's scope.
import type { Context, MiddlewareHandler } from "hono";
import { createMiddleware } from "hono/factory";
import { database } from "../db/client";
import { ADMIN_ACTOR } from "../db/schema";
import type { GatewayEnv } from "../env";
import { GatewayError } from "../errors";
import { runsLocally } from "../http/local";
import { adminLoginCounter } from "../objects/names";
import { operatorCache } from "../operators/cache";
import { type AdminPrincipal, OPERATOR_SCOPES, type OperatorScope } from "../operators/scopes";
import { findOperatorByHash } from "../operators/store";
import { hashOperatorToken, parseOperatorToken } from "../operators/token";
import { limiterClient } from "../ratelimit/client";
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

/** A deployed gateway's ADMIN_TOKEN must be at least this long (docs/security.md); `npm run dev` may use a short one. */
export const MIN_ADMIN_TOKEN_LENGTH = 32;

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

/** Wrong admin tokens allowed per client IP before it must wait: slows brute force to a crawl. */
export const FAILED_ADMIN_AUTH: LimitRequest = { id: "admin-auth-failures", name: "admin-auth", limit: 10, window: 300 };

const callerIp = (c: Context<GatewayEnv>) => c.req.header("cf-connecting-ip") ?? "unknown";
const failureCounter = (c: Context<GatewayEnv>) => adminLoginCounter(callerIp(c), c.get("config").ipv6ClientPrefix);

/**
 * How long this isolate trusts a peek that found an address unblocked: a service calling verify
 * often then costs one counter call a second, not one per call. Any failure from the address ends it.
 */
const CLEAR_FOR_MS = 1000;
const MAX_CLEAR_ADDRESSES = 10_000;
/** Counter (client address or IPv6 block) → until when its last peek is trusted. Bounded: the oldest is dropped first. */
const clearAddresses = new Map<string, number>();

async function refuseIfBlocked(c: Context<GatewayEnv>): Promise<void> {
  const counter = failureCounter(c);
  if ((clearAddresses.get(counter) ?? 0) > Date.now()) return;
  const [state] = await limiterClient(c).peek(counter, [FAILED_ADMIN_AUTH]);
  if (state && state.remaining === 0) {
    throw new GatewayError("rate_limited", `Too many failed admin logins from this address; retry in ${state.reset} s.`, {
      headers: { "retry-after": String(Math.max(1, state.reset)) },
    });
  }
  clearAddresses.delete(counter);
  if (clearAddresses.size >= MAX_CLEAR_ADDRESSES) clearAddresses.delete(clearAddresses.keys().next().value as string);
  clearAddresses.set(counter, Date.now() + CLEAR_FOR_MS);
}

async function recordFailure(c: Context<GatewayEnv>): Promise<void> {
  clearAddresses.delete(failureCounter(c));
  const decision = await limiterClient(c).count(failureCounter(c), { limits: [FAILED_ADMIN_AUTH], cost: 1 });
  if (decision.outcome === "rate_limited") {
    throw new GatewayError("rate_limited", "Too many failed admin logins from this address.", { headers: rateLimitHeaders(decision) });
  }
}

/** How long a token judged right in this isolate skips the reservation: an attacker's guess never was judged right. */
const ACCEPTED_FOR_MS = 60_000;
const MAX_ACCEPTED_TOKENS = 1000;
/** SHA-256 (hex) of tokens judged right lately → until when. Bounded: the oldest is dropped first. */
const acceptedTokens = new Map<string, number>();

async function tokenDigest(token: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(token)));
  return Array.from(digest, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

function rememberAccepted(digest: string): void {
  acceptedTokens.delete(digest);
  if (acceptedTokens.size >= MAX_ACCEPTED_TOKENS) acceptedTokens.delete(acceptedTokens.keys().next().value as string);
  acceptedTokens.set(digest, Date.now() + ACCEPTED_FOR_MS);
}

/**
 * Judges a token not judged right lately: a unit of the failure limit is reserved first, atomically
 * in the client's counter, so parallel guesses cannot all be judged before any is counted
 * (docs/security.md). A wrong token is then counted; a right one gives its unit back.
 */
async function judgeAfterReserving(c: Context<GatewayEnv>, presented: string, adminToken: string): Promise<AdminPrincipal | undefined> {
  const limiter = limiterClient(c);
  const counter = failureCounter(c);
  const reservation = await limiter.reserve(counter, FAILED_ADMIN_AUTH);
  if (!reservation.allowed) {
    throw new GatewayError("rate_limited", `Too many failed admin logins from this address; retry in ${reservation.retryAfter} s.`, {
      headers: { "retry-after": String(reservation.retryAfter) },
    });
  }
  let principal: AdminPrincipal | undefined;
  try {
    principal = await principalFor(c, presented, adminToken);
  } catch (error) {
    await limiter.settle(counter, FAILED_ADMIN_AUTH, false);
    throw error;
  }
  await limiter.settle(counter, FAILED_ADMIN_AUTH, principal === undefined);
  if (principal === undefined) clearAddresses.delete(counter);
  return principal;
}

const ADMIN_PRINCIPAL: AdminPrincipal = { id: ADMIN_ACTOR, scopes: OPERATOR_SCOPES };

/** The principal a token stands for: ADMIN_TOKEN, or a live operator token (isolate cache, then D1). */
async function principalFor(c: Context<GatewayEnv>, presented: string, adminToken: string): Promise<AdminPrincipal | undefined> {
  if (await tokensEqual(presented, adminToken)) return ADMIN_PRINCIPAL;
  // A string without the operator token's shape and checksum costs no lookup.
  if (!parseOperatorToken(presented)) return undefined;
  const hash = hashOperatorToken(presented);
  const now = Date.now();
  const cached = operatorCache.get(hash, now);
  if (cached) return cached;
  let row: Awaited<ReturnType<typeof findOperatorByHash>>;
  try {
    row = await findOperatorByHash(database(c.env.DB), hash);
  } catch (error) {
    throw new GatewayError("key_store_unavailable", "Operator tokens cannot be checked while D1 is unreachable; retry shortly.", {
      cause: error,
    });
  }
  if (!row || row.revokedAt !== null) return undefined;
  const principal: AdminPrincipal = { id: row.id, scopes: row.scopes };
  operatorCache.set(hash, principal, now);
  return principal;
}

const realmOf = (c: Context<GatewayEnv>) => `Bearer realm="${c.get("config")?.realm ?? "gateway"}-admin"`;

/**
 * `Authorization: Bearer <ADMIN_TOKEN or operator token>` on every admin path; failed attempts are
 * limited per client IP. Which scope a call needs is checked by the route's `requireScope`.
 */
export function adminAuth() {
  return createMiddleware<GatewayEnv>(async function adminAuth(c, next) {
    const realm = realmOf(c);
    const expected = c.env.ADMIN_TOKEN;
    if (!expected) throw new GatewayError("gateway_misconfigured", "The ADMIN_TOKEN secret is not set.");
    if (expected.length < MIN_ADMIN_TOKEN_LENGTH && !runsLocally(c.req.url)) {
      throw new GatewayError(
        "gateway_misconfigured",
        `The ADMIN_TOKEN secret is shorter than ${MIN_ADMIN_TOKEN_LENGTH} characters; only a gateway running locally accepts a short one.`,
      );
    }
    const presented = c.req.header("authorization")?.match(BEARER)?.[1];
    if (!presented) {
      throw new GatewayError("missing_key", "Admin calls need Authorization: Bearer <admin or operator token>.", {
        headers: { "www-authenticate": realm },
      });
    }
    let principal: AdminPrincipal | undefined;
    try {
      const digest = await tokenDigest(presented);
      if ((acceptedTokens.get(digest) ?? 0) > Date.now()) {
        // Right lately: only a blocked address is refused (a peek, trusted for a second), as for any token.
        await refuseIfBlocked(c);
        principal = await principalFor(c, presented, expected);
        if (!principal) {
          acceptedTokens.delete(digest);
          await recordFailure(c);
        }
      } else {
        principal = await judgeAfterReserving(c, presented, expected);
        if (principal) rememberAccepted(digest);
      }
      if (!principal) {
        throw new GatewayError("invalid_token", "The admin or operator token is not valid.", {
          headers: { "www-authenticate": `${realm}, error="invalid_token"` },
        });
      }
    } catch (error) {
      if (error instanceof GatewayError) throw error;
      throw new GatewayError("limiter_unavailable", "Admin calls are refused while the limiter is unreachable.", { cause: error });
    }
    c.set("adminPrincipal", principal);
    await next();
  });
}

function scopeGuard(scope: OperatorScope): MiddlewareHandler<GatewayEnv> {
  return createMiddleware<GatewayEnv>(async function scopeGuard(c, next) {
    if (!c.get("adminPrincipal")?.scopes.includes(scope)) {
      throw new GatewayError("insufficient_scope", `The token lacks the scope ${scope}.`, {
        headers: { "www-authenticate": `${realmOf(c)}, error="insufficient_scope", scope="${scope}"` },
      });
    }
    await next();
  });
}

/** Spread into an admin route: the scope it needs, declared in the OpenAPI document and enforced. */
export function requireScope(scope: OperatorScope) {
  return { security: [{ adminToken: [scope] }], middleware: [scopeGuard(scope)] };
}

/** The audit `actor` of this admin call: `admin` or the operator token's id. */
export function auditActor(c: Context<GatewayEnv>): string {
  const principal = c.get("adminPrincipal");
  if (!principal) throw new Error("an admin handler ran without adminAuth");
  return principal.id;
}
