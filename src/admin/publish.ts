import type { Context } from "hono";
import { database } from "../db/client";
import type { IdentityRow, KeyRow, KeySecretRow } from "../db/schema";
import type { GatewayEnv } from "../env";
import { bumpIdentityVersionRow, memberKeyIds } from "../identities/store";
import { isolateKeyCache } from "../keys/cache";
import { identityStatus, keyStatus } from "../keys/record";
import { keyObjectName, limiterClient } from "../ratelimit/client";
import { isolateDenials } from "../ratelimit/denial-memo";
import { isolateLeases } from "../ratelimit/isolate-leases";

/**
 * Tells the Durable Object deciding for the key (its own, or its identity's) the key's new status
 * (it is on every request's path, so the change applies everywhere within `LEASE_TTL_MS`) and drops
 * what this isolate remembers of the key, so here it applies at once. A key that changed identity
 * (`formerIdentityId`) is told to the object that decided for it before too. Retrying the write is safe.
 */
export async function publishKeyStatus(
  c: Context<GatewayEnv>,
  key: KeyRow,
  secrets: KeySecretRow[],
  formerIdentityId: string | null = key.identityId,
): Promise<void> {
  const { keyCache } = c.get("config");
  isolateKeyCache(keyCache.maxEntries, keyCache.ttlMs).forgetKey(key.id);
  isolateDenials.forget(keyObjectName(key.id));
  isolateLeases.drop(key.id);
  const status = keyStatus(key, secrets);
  const limiter = limiterClient(c);
  await Promise.all([
    limiter.updateStatus(key.id, status, key.identityId),
    ...(formerIdentityId !== key.identityId ? [limiter.updateStatus(key.id, status, formerIdentityId)] : []),
  ]);
}

/**
 * Tells the identity's object its new status (enabled, limits, quota): every key of it is decided
 * there, so the change applies everywhere within `LEASE_TTL_MS`; here at once, for `memberKeyIds`.
 */
export async function publishIdentityStatus(c: Context<GatewayEnv>, identity: IdentityRow, memberKeyIds: string[]): Promise<void> {
  const { keyCache } = c.get("config");
  isolateKeyCache(keyCache.maxEntries, keyCache.ttlMs).forgetIdentity(identity.id);
  for (const keyId of memberKeyIds) {
    isolateDenials.forget(keyObjectName(keyId));
    isolateLeases.drop(keyId);
  }
  await limiterClient(c).updateIdentity(identityStatus(identity));
}

/**
 * For a change the identity's keys inherit from elsewhere (its plan): bumps the identity's version
 * in D1 and publishes it, so every isolate reloads the records of its keys within `LEASE_TTL_MS`
 * (docs/rate-limits.md "Every change within the bound"). Nothing happens for an identity that is gone.
 */
export async function bumpIdentityVersion(c: Context<GatewayEnv>, identityId: string): Promise<void> {
  const db = database(c.env.DB);
  const identity = await bumpIdentityVersionRow(db, identityId);
  if (identity) await publishIdentityStatus(c, identity, await memberKeyIds(db, identityId));
}
