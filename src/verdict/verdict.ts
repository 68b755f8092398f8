/**
 * The one judgement of an API key (docs/keys.md "One verdict"): from the presented credential, the
 * route and the request's facts to a typed verdict (the refusal and its code, the limits decision,
 * fail-open, whether usage counts). The proxy, `/verify`, `/me` and the admin key-limits route
 * only map it to their answers; none judges a key on its own.
 */
import type { Context } from "hono";
import type { Route } from "../config/routes";
import { database } from "../db/client";
import type { CredentialLocation, GatewayEnv } from "../env";
import { GatewayError } from "../errors";
import { ipNotAllowed } from "../keys/authenticate";
import { isolateKeyCache } from "../keys/cache";
import { failedKeyLookups } from "../keys/failed-lookups";
import { couldBeForeignKey, hasImportShape } from "../keys/foreign-format";
import { hashKey, parseKey } from "../keys/format";
import { registeredPrefixes } from "../keys/import-prefixes";
import { keyLocator, type Locator } from "../keys/locator";
import { cachedKeyCheck, type KeyRecord, type KeyRefusal, keyRefused, refusal } from "../keys/record";
import { verifyKey } from "../keys/verify";
import { admit } from "../ratelimit/admission";
import { limiterClient } from "../ratelimit/client";
import {
  type CheckOutcome,
  type KeyInspection,
  keyLimitRequests,
  type LimitDecision,
  type LimitRequest,
  nearestExhaustion,
  rateLimitHeaders,
  requestLimits,
  routeLimitId,
} from "../ratelimit/decision";
import { adoptResolved, coldLeaseAsk } from "../ratelimit/isolate-leases";
import type { ResolveAnswer } from "../ratelimit/key-records";
import { type AccessRefusal, scopeOrIpRefusal } from "./access";

/** Every code a verdict can refuse with (the §5 code a proxied request gets). */
export type VerdictCode =
  | "missing_key"
  | "invalid_key"
  | KeyRefusal
  | "insufficient_scope"
  | "ip_not_allowed"
  | "rate_limited"
  | "quota_exceeded";

/** A refusal: the error the proxy throws as it is, whose `code` other callers report. */
export type Refusal = GatewayError & { readonly code: VerdictCode };

/** A credential as found: in the request (with where it was), or handed over in a body. */
export interface PresentedValue {
  value: string;
  location?: CredentialLocation;
}

export interface VerdictRequest {
  /** The values presented, in the configured sources' order (the first of a key's shape counts), or a record the caller loaded by id. */
  presented: ReadonlyArray<PresentedValue> | { record: KeyRecord };
  /** Whether a key is needed: without one, `optional` and `none` are judged on the route's limits per client IP. `none` looks at no key. */
  auth: Route["auth"];
  /** The configured route: its scopes, limits (with the key's overrides) and fail-open apply. Undefined: the key's own limits only. */
  route: Route | undefined;
  /** Where usage counts and leases are held: the route's path, or the caller's own label. */
  usageRoute: string;
  /** The end client's address: checked against the key's allowlist (not checked when undefined); counts requests without a key. */
  ip: string | undefined;
  cost: number;
  /** Scopes wanted besides the route's. */
  scopes: readonly string[];
  /**
   * `spend`: decide, spend `cost` and count the request in usage. `read`: judge as if spending `cost`
   * (0: the key's state as it stands) while spending nothing and counting nothing: dry runs, `/me`, introspection.
   */
  mode: "spend" | "read";
}

export interface Verdict {
  /** Undefined: admitted. */
  refusal: Refusal | undefined;
  /** The key's record once found (a refusal for scopes or limits keeps it); undefined for a malformed, unknown or absent key. */
  record: KeyRecord | undefined;
  /** Where the key was presented in the request, when it came from one. */
  location: CredentialLocation | undefined;
  /** The key, once it passed validity, scopes and IP: what the proxy tells the upstream and names in its usage point. */
  key: KeyRecord | undefined;
  /** The limits decision; undefined when no limit was judged (a refusal before it, fail-open, a request without key or limits). */
  decision: LimitDecision | undefined;
  /** The limiter could not be reached and the route fails open: admitted without a decision. */
  failOpen: boolean;
  /** Whether the request counts in usage: the usage point the caller writes. False in `read` mode. */
  counted: boolean;
  /** In `read` mode, when the presented secret stops working as the deciding object knows it. */
  expiresAt: number | null | undefined;
}

const malformed = () => new GatewayError("invalid_key", "The API key is malformed.") as Refusal;

function verdictOf(
  request: VerdictRequest,
  record: KeyRecord | undefined,
  location: CredentialLocation | undefined,
  refused: Refusal | undefined,
): Verdict {
  return {
    refusal: refused,
    record,
    location,
    key: undefined,
    decision: undefined,
    failOpen: false,
    counted: request.mode === "spend",
    expiresAt: undefined,
  };
}

/** A cache miss on a key whose body names its object: that object is asked for the record and the decision at once. */
interface LocatedKey {
  locator: Locator;
  hash: string;
  location: CredentialLocation | undefined;
}

const unknownKey = () => new GatewayError("invalid_key", "The API key is not known.") as Refusal;

/**
 * The record of the first presented value of a key's shape: isolate cache, else D1 (`fresh`: D1
 * first); for a key whose body names its object, a cache miss is answered as a `LocatedKey` instead
 * (docs/rate-limits.md "One round trip for a cold key"), unless `viaD1`.
 */
async function presentedRecord<E extends GatewayEnv>(
  c: Context<E>,
  presented: ReadonlyArray<PresentedValue>,
  now: number,
  fresh: boolean,
  viaD1 = false,
): Promise<{ record: KeyRecord; location: CredentialLocation | undefined } | LocatedKey | Refusal> {
  // The first location holding a key counts, so an upstream's own token in `Authorization` does not
  // shadow the key in `X-API-Key`. Own-format keys are judged by their checksum alone; other shapes
  // only if an import registered them (the registry is read only when a value could be one).
  let credential: PresentedValue | undefined;
  let locator: Locator | undefined;
  for (const value of presented) {
    const parsed = parseKey(value.value);
    if (!parsed) continue;
    credential = value;
    locator = viaD1 ? undefined : keyLocator(parsed.body);
    break;
  }
  if (!credential && presented.some(({ value }) => couldBeForeignKey(value))) {
    const prefixes = await registeredPrefixes(database(c.env.DB), now);
    credential = presented.find(({ value }) => hasImportShape(value, prefixes));
  }
  if (!credential) return malformed();
  const { keyCache } = c.get("config");
  const cache = isolateKeyCache(keyCache.maxEntries, keyCache.ttlMs);
  if (locator) {
    const hash = hashKey(credential.value);
    const cached = fresh ? undefined : cache.get(hash, now);
    if (!cached) return { locator, hash, location: credential.location };
    return cached.record ? { record: cached.record, location: credential.location } : unknownKey();
  }
  // A key the request itself carried is its sender's: unknown ones count against that client (docs/keys.md § Forged keys).
  const failures = credential.location === undefined ? undefined : failedKeyLookups(c);
  const record = await verifyKey(credential.value, database(c.env.DB), cache, now, fresh, failures);
  if (!record) return unknownKey();
  return { record, location: credential.location };
}

/**
 * A key not cached here whose body names its object: one call to that object brings the record
 * (cached here as a D1 read would be), the decision and a lease for the key's next requests here
 * (held in the isolate's lease client as `admit`'s own). Undefined when the object cannot be
 * reached: the caller takes the D1 path, which fails open or closed as the route says.
 */
async function locatedVerdict<E extends GatewayEnv>(
  c: Context<E>,
  request: VerdictRequest,
  located: LocatedKey,
  now: number,
): Promise<Verdict | undefined> {
  const { hash, location } = located;
  // A key the request itself carried is its sender's: unknown ones count against that client (docs/keys.md § Forged keys).
  const failures = location === undefined ? undefined : failedKeyLookups(c);
  failures?.refuseIfBlocked(now);
  const { route } = request;
  // A spent request asks for a lease with it, so the key's next requests here need no call (docs/rate-limits.md).
  const cold = request.mode === "spend" ? coldLeaseAsk(c, hash) : undefined;
  let answer: ResolveAnswer;
  try {
    answer = await limiterClient(c).resolve({
      hash,
      locator: located.locator,
      mode: request.mode,
      route: route && { path: route.path, scopes: route.scopes, rateLimits: route.rateLimits },
      usageRoute: request.usageRoute,
      routeScopes: route?.scopes ?? [],
      scopes: request.scopes,
      ip: request.ip,
      cost: request.cost,
      ...(cold && { coldAsk: cold.id }),
      ...(cold?.lease && { lease: cold.lease }),
    });
  } catch {
    // The D1 path then asks the deciding object again: a call that timed out after deciding counts
    // the request twice there, which only ever errs below the limit, never above it.
    return undefined;
  } finally {
    cold?.settled();
  }
  const { keyCache } = c.get("config");
  const cache = isolateKeyCache(keyCache.maxEntries, keyCache.ttlMs);
  if (answer.found === "unknown") {
    cache.set(hash, null, now);
    await failures?.record(now);
    return verdictOf(request, undefined, undefined, unknownKey());
  }
  cache.set(hash, answer.record, now);
  // Another object decides for the key (it changed identity since this secret was issued): ask it.
  if (answer.found === "elsewhere") return newestOnly(await judgeRecord(c, request, answer.record, location, now));
  const { record } = answer;
  const verdict = verdictOf(request, record, location, undefined);
  if (answer.refused) {
    verdict.refusal = accessError(answer.refused, record, request.ip);
    return verdict;
  }
  verdict.key = record;
  if ("inspection" in answer) {
    verdict.decision = inspectedDecision(answer.inspection, request.cost);
    verdict.expiresAt = answer.inspection.expiresAt;
  } else {
    const limits = route ? requestLimits(record.rateLimits, record.routeRateLimits, route) : keyLimitRequests(record.rateLimits);
    verdict.decision = await adoptResolved(c, record, request.usageRoute, limits, request.cost, cold, answer.decision);
  }
  const { outcome } = verdict.decision;
  if (outcome !== "allowed" && outcome !== "older_record") verdict.refusal = limitRefusal(verdict.decision, outcome, record);
  return newestOnly(verdict);
}

/** The error of a refusal by validity, scopes or IP allowlist. */
function accessError(refused: AccessRefusal, record: KeyRecord, ip: string | undefined): Refusal {
  switch (refused.code) {
    case "insufficient_scope":
      return new GatewayError("insufficient_scope", `The key lacks scope(s): ${refused.missing.join(", ")}.`) as Refusal;
    case "ip_not_allowed":
      return ipNotAllowed(ip ?? "") as Refusal;
    default:
      return keyRefused(refused.code, record) as Refusal;
  }
}

function limitRefusal(
  decision: LimitDecision,
  outcome: Exclude<CheckOutcome, "allowed" | "older_record">,
  record: KeyRecord | undefined,
): Refusal {
  switch (outcome) {
    case "rate_limited": {
      const denied = decision.policies[decision.nearest];
      return new GatewayError("rate_limited", `Rate limit "${denied?.name}" exceeded; retry in ${decision.retryAfter} s.`, {
        headers: rateLimitHeaders(decision),
      }) as Refusal;
    }
    case "quota_exceeded": {
      const { quota } = decision;
      const headers = rateLimitHeaders(decision);
      // A `total` quota never comes back, so there is no honest Retry-After to give.
      if (decision.retryAfter !== undefined) headers["retry-after"] = String(decision.retryAfter);
      const when = quota?.reset != null ? `; it resets in ${quota.reset} s` : "";
      return new GatewayError("quota_exceeded", `The key's ${quota?.period ?? ""} quota of ${quota?.limit ?? "?"} is used up${when}.`, {
        headers,
      }) as Refusal;
    }
    default:
      return (record ? keyRefused(outcome, record) : new GatewayError(outcome)) as Refusal;
  }
}

/** What spending `cost` would decide, from the deciding object's state as it stands. */
function inspectedDecision(inspection: KeyInspection, cost: number): LimitDecision {
  const decision: LimitDecision = {
    outcome: inspection.outcome,
    policies: inspection.policies,
    nearest: nearestExhaustion(inspection.policies),
    ...(inspection.quota && { quota: inspection.quota }),
  };
  if (decision.outcome === "allowed") {
    if (inspection.quota && inspection.quota.remaining < cost) decision.outcome = "quota_exceeded";
    else if (inspection.policies.some((p) => p.remaining < cost)) decision.outcome = "rate_limited";
  }
  return decision;
}

/** What spending `cost` would decide now, from the deciding object's state, spending nothing. */
async function readDecision<E extends GatewayEnv>(c: Context<E>, record: KeyRecord, limits: LimitRequest[], cost: number) {
  const inspection = await limiterClient(c).inspect(record.id, { limits, key: cachedKeyCheck(record) });
  return { decision: inspectedDecision(inspection, cost), expiresAt: inspection.expiresAt };
}

/** The route's limits on a request without a key, counted per client IP. */
async function keylessVerdict<E extends GatewayEnv>(c: Context<E>, request: VerdictRequest): Promise<Verdict> {
  const verdict = verdictOf(request, undefined, undefined, undefined);
  const route = request.route;
  if (!route || route.rateLimits.length === 0 || request.mode === "read") return verdict;
  const limits = route.rateLimits.map((l) => ({ id: routeLimitId(route.path, l.name), ...l }));
  return decideLimits(c, request, verdict, undefined, limits);
}

/** Decides the limits and quota (fail-open when the route says so); a refusal of theirs becomes the verdict's. */
async function decideLimits<E extends GatewayEnv>(
  c: Context<E>,
  request: VerdictRequest,
  verdict: Verdict,
  record: KeyRecord | undefined,
  limits: LimitRequest[],
): Promise<Verdict> {
  const { route } = request;
  try {
    if (request.mode === "read" && record) {
      const read = await readDecision(c, record, limits, request.cost);
      verdict.decision = read.decision;
      verdict.expiresAt = read.expiresAt;
    } else {
      verdict.decision = await admit(c, record, request.ip ?? "", request.usageRoute, limits, request.cost);
    }
  } catch (error) {
    if (route?.onLimiterError !== "open") throw error;
    console.warn(`limiter_unavailable (fail-open) on ${route.path}: ${String(error instanceof GatewayError ? error.cause : error)}`);
    verdict.failOpen = true;
    return verdict;
  }
  const { outcome } = verdict.decision;
  // An older record is no refusal: the caller reloads it and asks again.
  if (outcome !== "allowed" && outcome !== "older_record") verdict.refusal = limitRefusal(verdict.decision, outcome, record);
  return verdict;
}

/**
 * Judged in this order: key shape and record, validity, scopes, IP allowlist, then limits and quota
 * in one decision. A refusal is part of the verdict; what cannot be judged (D1 or the limiter
 * unreachable on a fail-closed route) throws its 503. A record that may be older than the key
 * (its object knows a newer version, or it refused on a copy loaded over `LEASE_TTL_MS` ago) is
 * reloaded from D1 and judged again, once (docs/rate-limits.md "Every change within the bound").
 */
export async function keyVerdict<E extends GatewayEnv>(c: Context<E>, request: VerdictRequest): Promise<Verdict> {
  const { presented } = request;
  if (request.auth === "none") return keylessVerdict(c, request);
  const now = Date.now();
  if ("record" in presented) return newestOnly(await judgeRecord(c, request, presented.record, undefined, now));
  if (presented.length === 0) {
    if (request.auth === "optional") return keylessVerdict(c, request);
    return verdictOf(request, undefined, undefined, new GatewayError("missing_key", "No API key was presented.") as Refusal);
  }
  const found = await presentedRecord(c, presented, now, false);
  if (found instanceof GatewayError) return verdictOf(request, undefined, undefined, found);
  if ("locator" in found) return (await locatedVerdict(c, request, found, now)) ?? recordVerdict(c, request, presented, now, true);
  const verdict = await judgeRecord(c, request, found.record, found.location, now);
  if (!mayBeOlder(verdict, found.record, now, c.get("config").leaseTtlMs)) return verdict;
  const reloaded = await presentedRecord(c, presented, now, true);
  if (reloaded instanceof GatewayError) return verdictOf(request, undefined, undefined, reloaded);
  if ("locator" in reloaded) return (await locatedVerdict(c, request, reloaded, now)) ?? recordVerdict(c, request, presented, now, true);
  return newestOnly(await judgeRecord(c, request, reloaded.record, reloaded.location, now));
}

/** The D1 path: the record read from D1 (`fresh`) or the cache, then judged; what a located key falls back to when its object cannot be reached. */
async function recordVerdict<E extends GatewayEnv>(
  c: Context<E>,
  request: VerdictRequest,
  presented: ReadonlyArray<PresentedValue>,
  now: number,
  fresh: boolean,
): Promise<Verdict> {
  const found = await presentedRecord(c, presented, now, fresh, true);
  if (found instanceof GatewayError) return verdictOf(request, undefined, undefined, found);
  if ("locator" in found) throw new Error("unreachable: the D1 path locates no key");
  return newestOnly(await judgeRecord(c, request, found.record, found.location, now));
}

/** Whether the verdict may rest on an older record than the key's: its object said so, or a scope or IP refusal rests on a copy older than a lease. */
function mayBeOlder(verdict: Verdict, record: KeyRecord, now: number, leaseTtlMs: number): boolean {
  if (verdict.decision?.outcome === "older_record") return true;
  const code = verdict.refusal?.code;
  return (code === "insufficient_scope" || code === "ip_not_allowed") && now - record.loadedAt > leaseTtlMs;
}

/**
 * A disabled or expired record is refused once the key's object, which knows the newest status,
 * agrees (asked read-only; the key may have been enabled or extended elsewhere). Revocation is
 * final and never asked. Unreachable, the record's word stands.
 */
async function confirmedRefusal<E extends GatewayEnv>(
  c: Context<E>,
  verdict: Verdict,
  record: KeyRecord,
  refused: KeyRefusal,
): Promise<Verdict> {
  let outcome: KeyInspection["outcome"] = refused;
  try {
    outcome = (await limiterClient(c).inspect(record.id, { limits: keyLimitRequests(record.rateLimits), key: cachedKeyCheck(record) }))
      .outcome;
  } catch {
    // The object cannot be asked: refuse on the record, as a request it would judge fails closed.
  }
  if (outcome === "older_record") verdict.decision = { outcome, policies: [], nearest: -1 };
  else verdict.refusal = keyRefused(outcome === "allowed" ? refused : outcome, record) as Refusal;
  return verdict;
}

/** A record read from D1 that its object still finds older: D1 answered from before the write (or not at all); judge later. */
function newestOnly(verdict: Verdict): Verdict {
  if (verdict.decision?.outcome !== "older_record") return verdict;
  throw new GatewayError("key_store_unavailable", "The key changed and its new version could not be read yet; retry shortly.");
}

/** Not async, so the admitted path awaits only the limits decision's own promise (the proxy path allocates no more per request). */
function judgeRecord<E extends GatewayEnv>(
  c: Context<E>,
  request: VerdictRequest,
  record: KeyRecord,
  location: CredentialLocation | undefined,
  now: number,
): Verdict | Promise<Verdict> {
  const { route } = request;
  const verdict = verdictOf(request, record, location, undefined);
  const refused = refusal(record, record.secretExpiresAt, now);
  if (refused === "revoked_key") {
    verdict.refusal = new GatewayError(refused) as Refusal;
    return verdict;
  }
  if (refused) return confirmedRefusal(c, verdict, record, refused);
  const denied = scopeOrIpRefusal(record, { routeScopes: route?.scopes ?? [], scopes: request.scopes, ip: request.ip });
  if (denied) {
    verdict.refusal = accessError(denied, record, request.ip);
    return verdict;
  }
  verdict.key = record;
  const limits = route ? requestLimits(record.rateLimits, record.routeRateLimits, route) : keyLimitRequests(record.rateLimits);
  return decideLimits(c, request, verdict, record, limits);
}
