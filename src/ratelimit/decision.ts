// What the worker and its key objects say to each other about limits: the requests, the decisions
// (`LimitDecision`), and the `RateLimit` headers made from them.
import type { RateLimitSpec } from "../config/schema";
import type { IdentityStatus, KeyRefusal, KeyStatus } from "../keys/record";
import type { LeaseRequest } from "./lease-holder";
import type { LeaseGrant } from "./lease-ledger";
import type { QuotaState } from "./quota";

/** One limit to decide, as the worker asks for it. `id` scopes its counter (key-wide or per route). */
export interface LimitRequest {
  id: string;
  name: string;
  limit: number;
  /** Seconds. */
  window: number;
}

const KEY_WIDE = "key:";

/** A key's own limits, counted key-wide (route limits are counted per route). */
export const keyLimitRequests = (limits: ReadonlyArray<RateLimitSpec>): LimitRequest[] =>
  limits.map((l) => ({ id: `${KEY_WIDE}${l.name}`, ...l }));

/**
 * A keyed request's limits on a route: the key's own (key-wide), then the route's, counted per key on
 * that route. A key's `routeRateLimits` entry for the route's path replaces the route's limit of the
 * same name and adds the names the route lacks (docs/rate-limits.md "Per-key route limits").
 */
export function requestLimits(
  own: ReadonlyArray<RateLimitSpec>,
  overrides: Readonly<Record<string, RateLimitSpec[]>>,
  route: { path: string; rateLimits: ReadonlyArray<RateLimitSpec> },
): LimitRequest[] {
  const limits = keyLimitRequests(own);
  const override = Object.hasOwn(overrides, route.path) ? overrides[route.path] : undefined;
  for (const l of route.rateLimits) {
    if (override?.some((o) => o.name === l.name)) continue;
    limits.push({ id: routeLimitId(route.path, l.name), ...l });
  }
  if (override) for (const l of override) limits.push({ id: routeLimitId(route.path, l.name), ...l });
  return limits;
}

/** A route limit's counter: per key (or client IP) on that route; an override keeps the id of the limit it replaces. */
export const routeLimitId = (path: string, name: string) => `route:${path}:${name}`;

export const isKeyWideLimit = (id: string) => id.startsWith(KEY_WIDE);

/**
 * An identity's limits, shared by all its keys; named `identity.<name>` in the headers so they stay
 * apart from a key's own limit of the same name (docs/identities.md).
 */
export const identityLimitRequests = (limits: ReadonlyArray<RateLimitSpec>): LimitRequest[] =>
  limits.map((l) => ({ ...l, id: `identity:${l.name}`, name: `identity.${l.name}` }));

/** In an identity's object, a key's own and route limits are counted per key. */
export const memberLimitRequests = (keyId: string, limits: ReadonlyArray<LimitRequest>): LimitRequest[] =>
  limits.map((l) => ({ ...l, id: `${keyId}/${l.id}` }));

/** The calling key as the request path knows it: the cached status, which the object reconciles with its own. */
export interface KeyCheck {
  status: KeyStatus;
  secretId: string;
  /** Lets the object report when the key was last used. */
  keyId?: string;
  /** The key's identity as the request path knows it: present, the identity's object decides (and needs `keyId`). */
  identity?: IdentityStatus;
}

/** One authenticated request for its key's object to decide. */
export interface CheckInput {
  limits: LimitRequest[];
  cost: number;
  key: KeyCheck;
  /** The matched route's configured `path`: usage is counted per route. */
  route: string;
  /** Requests this isolate refused from its denial memo since the last check: counted as rate-limited usage. */
  refusedLocally?: number;
  /** Present when the isolate takes leases: its reports, and a wish for a lease handed back with the answer. */
  lease?: LeaseRequest;
}

/** A renewal: reports and a wish for the next lease, with no request to decide. */
export type RenewInput = Omit<CheckInput, "cost" | "refusedLocally"> & { lease: LeaseRequest };

/** What an isolate sends its key's object about leases: defined beside the isolate's side (lease-holder.ts). */
export type { LeaseRequest };

/** One anonymous request for its client IP's counter to decide (or a failed admin login to count). */
export interface CountInput {
  limits: LimitRequest[];
  cost: number;
}

export interface InspectInput {
  limits: LimitRequest[];
  key: KeyCheck;
}

export interface PolicyState {
  name: string;
  limit: number;
  window: number;
  remaining: number;
  /** Whole seconds until quota comes back. */
  reset: number;
}

/** `older_record`: the object knows a newer version of the key or its identity than the request's record; nothing was decided, reload it and ask again. */
export type CheckOutcome = "allowed" | "rate_limited" | "quota_exceeded" | KeyRefusal | "older_record";

export interface LimitDecision {
  outcome: CheckOutcome;
  policies: PolicyState[];
  /** Index in `policies` of the one to report in `RateLimit` (denied, or nearest exhaustion). */
  nearest: number;
  /** Whole seconds, on `rate_limited` (and `quota_exceeded` when the period has an end). */
  retryAfter?: number;
  /** Epoch ms from which the request could fit, on `rate_limited`: what the isolate's denial memo keeps. */
  deniedUntil?: number;
  /** A lease handed back with the answer, when the isolate asked for one and the budget allows. */
  lease?: LeaseGrant;
  /** On `rate_limited` to a lease request: how long the isolate may refuse on its own (a zero lease). */
  refuseForMs?: number;
  /** The key's quota after this request, when it has one. */
  quota?: QuotaState;
}

/** What `GET /_gateway/me` learns from the key's object without consuming anything. */
export interface KeyInspection {
  outcome: "allowed" | KeyRefusal | "older_record";
  policies: PolicyState[];
  quota: QuotaState | null;
  /** When this secret stops working (the key's or the secret's expiry, whichever is first). */
  expiresAt: number | null;
}

/** `"minute";q=100;w=60, "day";q=10000;w=86400` (draft-ietf-httpapi-ratelimit-headers-11). */
export function rateLimitPolicyHeader(policies: PolicyState[]): string {
  return policies.map((p) => `"${p.name}";q=${p.limit};w=${p.window}`).join(", ");
}

/** `"minute";r=42;t=17` for one policy. */
export function rateLimitHeader(policy: PolicyState): string {
  return `"${policy.name}";r=${policy.remaining};t=${policy.reset}`;
}

export function rateLimitHeaders(decision: LimitDecision): Record<string, string> {
  const nearest = decision.policies[decision.nearest];
  if (!nearest) return {};
  const headers: Record<string, string> = {
    "ratelimit-policy": rateLimitPolicyHeader(decision.policies),
    ratelimit: rateLimitHeader(nearest),
  };
  if (decision.retryAfter !== undefined) headers["retry-after"] = String(decision.retryAfter);
  return headers;
}

/** The policy with the fewest units left, relative to its limit; ties go to the longer wait. */
export function nearestExhaustion(policies: PolicyState[]): number {
  let best = -1;
  for (let i = 0; i < policies.length; i++) {
    const p = policies[i]!;
    const b = policies[best];
    if (!b) {
      best = i;
      continue;
    }
    const share = p.remaining / p.limit;
    const bestShare = b.remaining / b.limit;
    if (share < bestShare || (share === bestShare && p.reset > b.reset)) best = i;
  }
  return best;
}
