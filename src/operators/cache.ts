// This isolate's memory of live operator tokens for 5 s, so an admin call skips D1; a revocation reaches every isolate
// within that (docs/operators.md § Revocation: how fast).
import type { AdminPrincipal } from "./scopes";

/**
 * How long an isolate trusts an operator token it has looked up. A revocation applies at once in
 * the isolate that served it and within this time everywhere else (docs/operators.md).
 */
export const OPERATOR_CACHE_TTL_MS = 5_000;

interface Entry {
  principal: AdminPrincipal;
  expiresAt: number;
}

/** Token hash → live operator, per isolate. Only live tokens are cached, so its size is bounded by the operators table. */
const entries = new Map<string, Entry>();

export const operatorCache = {
  get(hash: string, now: number): AdminPrincipal | undefined {
    const entry = entries.get(hash);
    if (entry && entry.expiresAt > now) return entry.principal;
    entries.delete(hash);
    return undefined;
  },
  set(hash: string, principal: AdminPrincipal, now: number): void {
    entries.set(hash, { principal, expiresAt: now + OPERATOR_CACHE_TTL_MS });
  },
  /** A revocation in this isolate: the token is refused from the next request on. */
  forget(operatorId: string): void {
    for (const [hash, entry] of entries) if (entry.principal.id === operatorId) entries.delete(hash);
  },
};
