// A key as the request path knows it (`KeyRecord`, built from its D1 rows with the effective limits of its
// identity and plan), its status as the deciding object holds it, and the refusals its state implies.
import type { RateLimitSpec, RouteRateLimits } from "../config/schema";
import type { IdentityRow, KeyRow, KeySecretRow, QuotaSpec } from "../db/schema";
import { GatewayError } from "../errors";
import { effectiveLimits, type Limits } from "../plans/limits";
import { type IpRange, parseIpRange } from "./ip";

/** What the request path knows of a key after finding its secret: cached per isolate. */
export interface KeyRecord {
  id: string;
  name: string;
  owner: string | null;
  scopes: string[];
  rateLimits: RateLimitSpec[];
  routeRateLimits: RouteRateLimits;
  quota: QuotaSpec | null;
  metadata: Record<string, unknown>;
  /** The key's IP allowlist, parsed once when the record is loaded; null when it has none. */
  ipRanges: IpRange[] | null;
  enabled: boolean;
  expiresAt: number | null;
  revokedAt: number | null;
  version: number;
  secretId: string;
  secretExpiresAt: number | null;
  /** The identity whose limits the key shares, as loaded with the key; null for a key on its own. */
  identity: IdentityStatus | null;
  /** When this copy was read from D1 (epoch ms): a refusal on a copy older than a lease reloads it (docs/rate-limits.md "Every change within the bound"). */
  loadedAt: number;
}

/** What an identity's Durable Object needs to decide for its keys, its plan's limits merged in; newer `version` wins there (docs/identities.md). */
export interface IdentityStatus {
  id: string;
  version: number;
  enabled: boolean;
  rateLimits: RateLimitSpec[];
  quota: QuotaSpec | null;
}

/** The identity's status with its effective limits: its plan's where it sets none of its own (docs/plans.md). */
export function identityStatus(
  row: Pick<IdentityRow, "id" | "version" | "enabled" | "rateLimits" | "quota">,
  plan: Limits | null,
): IdentityStatus {
  const limits = effectiveLimits({ rateLimits: row.rateLimits, quota: row.quota ?? null }, plan);
  return { id: row.id, version: row.version, enabled: row.enabled, ...limits };
}

/** The fields the key's Durable Object needs to judge validity; newer `version` wins there. */
export interface KeyStatus {
  version: number;
  enabled: boolean;
  expiresAt: number | null;
  revokedAt: number | null;
  /** Expiry per secret id, for secrets whose expiry was set after they were cached. */
  secretExpiry: Record<string, number | null>;
  /** The quota as of `version` (absent in statuses saved before quotas existed). */
  quota?: QuotaSpec | null;
  /** The identity whose object decides for the key as of `version`; null: its own (absent in statuses saved before identities). */
  identityId?: string | null;
}

export function toKeyRecord(
  key: KeyRow,
  secret: Pick<KeySecretRow, "id" | "expiresAt">,
  identity: IdentityRow | null = null,
  plan: Limits | null = null,
): KeyRecord {
  return {
    id: key.id,
    name: key.name,
    owner: key.owner,
    scopes: key.scopes,
    rateLimits: key.rateLimits,
    routeRateLimits: key.routeRateLimits,
    quota: key.quota ?? null,
    metadata: key.metadata,
    ipRanges:
      key.ipAllowlist.length === 0 ? null : key.ipAllowlist.map(parseIpRange).filter((range): range is IpRange => range !== undefined),
    enabled: key.enabled,
    expiresAt: key.expiresAt,
    revokedAt: key.revokedAt,
    version: key.version,
    secretId: secret.id,
    secretExpiresAt: secret.expiresAt,
    identity: identity ? identityStatus(identity, plan) : null,
    loadedAt: Date.now(),
  };
}

export function keyStatus(
  key: Pick<KeyRow, "version" | "enabled" | "expiresAt" | "revokedAt" | "quota" | "identityId">,
  secrets: Pick<KeySecretRow, "id" | "expiresAt">[],
): KeyStatus {
  return {
    version: key.version,
    enabled: key.enabled,
    expiresAt: key.expiresAt,
    revokedAt: key.revokedAt,
    secretExpiry: Object.fromEntries(secrets.map((s) => [s.id, s.expiresAt])),
    quota: key.quota ?? null,
    identityId: key.identityId,
  };
}

/** The key as the request path presents it to the object deciding for it (its own, or its identity's). */
export function cachedKeyCheck(record: KeyRecord): { keyId: string; secretId: string; status: KeyStatus; identity?: IdentityStatus } {
  return {
    keyId: record.id,
    secretId: record.secretId,
    status: cachedKeyStatus(record),
    ...(record.identity && { identity: record.identity }),
  };
}

/** The status the request path presents: the cached record's view of its key and secret. */
export function cachedKeyStatus(record: KeyRecord): KeyStatus {
  return {
    version: record.version,
    enabled: record.enabled,
    expiresAt: record.expiresAt,
    revokedAt: record.revokedAt,
    secretExpiry: { [record.secretId]: record.secretExpiresAt },
    quota: record.quota,
    identityId: record.identity?.id ?? null,
  };
}

export type KeyRefusal = "revoked_key" | "disabled_key" | "expired_key";

/** Why a key may not be used at `now`, judged on one status snapshot; undefined if it may. */
export function refusal(status: Omit<KeyStatus, "secretExpiry">, secretExpiresAt: number | null, now: number): KeyRefusal | undefined {
  if (status.revokedAt !== null && status.revokedAt <= now) return "revoked_key";
  if (!status.enabled) return "disabled_key";
  if (status.expiresAt !== null && status.expiresAt <= now) return "expired_key";
  if (secretExpiresAt !== null && secretExpiresAt <= now) return "expired_key";
  return undefined;
}

/**
 * The error for a key the deciding object refused. Its identity's object refuses an enabled key of
 * a disabled identity with `disabled_key`: the detail says so, so nobody looks for a disabled key.
 */
export function keyRefused(code: KeyRefusal, record: Pick<KeyRecord, "enabled" | "identity">): GatewayError {
  if (code === "disabled_key" && record.identity && (record.enabled || !record.identity.enabled))
    return new GatewayError(code, `The key's identity ${record.identity.id} is disabled; an operator can enable the identity again.`);
  return new GatewayError(code);
}
