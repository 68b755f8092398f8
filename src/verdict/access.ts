/**
 * The checks of a key record that need no state (validity on the record, scopes, IP allowlist):
 * pure, shared by the verdict in the isolate and the deciding object's `resolve`, so a refusal
 * there is judged the same way and spends nothing (docs/keys.md "One verdict").
 */
import { ipAllowed } from "../keys/authenticate";
import { type KeyRecord, type KeyRefusal, refusal } from "../keys/record";

/** What a request wants of a key besides validity: the route's scopes and the caller's, and where it comes from. */
export interface AccessFacts {
  /** The matched route's scopes; empty without a route. */
  routeScopes: readonly string[];
  /** Scopes wanted besides the route's. */
  scopes: readonly string[];
  /** The end client's address; the allowlist is not checked when undefined. */
  ip: string | undefined;
}

/** Why the key may not make the request before any limit is judged. */
export type AccessRefusal = { code: KeyRefusal } | { code: "insufficient_scope"; missing: string[] } | { code: "ip_not_allowed" };

/** The scopes the request wants that the key lacks: the route's first, then the caller's. */
export function missingScopes(record: Pick<KeyRecord, "scopes">, facts: Pick<AccessFacts, "routeScopes" | "scopes">): string[] {
  const missing: string[] = [];
  for (const scope of facts.routeScopes) if (!record.scopes.includes(scope)) missing.push(scope);
  for (const scope of facts.scopes) if (!record.scopes.includes(scope) && !missing.includes(scope)) missing.push(scope);
  return missing;
}

/** A scope or IP allowlist refusal, in that order; undefined when the key may make the request. */
export function scopeOrIpRefusal(record: KeyRecord, facts: AccessFacts): AccessRefusal | undefined {
  const missing = missingScopes(record, facts);
  if (missing.length > 0) return { code: "insufficient_scope", missing };
  if (facts.ip !== undefined && !ipAllowed(record, facts.ip)) return { code: "ip_not_allowed" };
  return undefined;
}

/** Validity on the record (revoked, disabled, expired), then scopes, then the IP allowlist. */
export function accessRefusal(record: KeyRecord, facts: AccessFacts, now: number): AccessRefusal | undefined {
  const refused = refusal(record, record.secretExpiresAt, now);
  return refused ? { code: refused } : scopeOrIpRefusal(record, facts);
}
