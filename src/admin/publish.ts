// Applies an admin write to keys, identities and plans everywhere within `LEASE_TTL_MS` (docs/rate-limits.md § Every change
// within the bound): tells the deciding Durable Objects the new status, and drops this isolate's memory of it. Hands a key's
// new rows to the object that holds its records (docs/rate-limits.md "One round trip for a cold key").
import type { Context } from "hono";
import { type Database, database } from "../db/client";
import type { IdentityRow, KeyRow, KeySecretRow } from "../db/schema";
import type { GatewayEnv } from "../env";
import { isolateKeyCache } from "../keys/cache";
import type { Locator } from "../keys/locator";
import { identityStatus, keyStatus } from "../keys/record";
import { findKeyRowsByKeyId, findKeyRowsBySecretHash } from "../keys/store";
import { keyObjectName } from "../objects/names";
import type { Limits } from "../plans/limits";
import { limiterClient } from "../ratelimit/client";
import { isolateDenials } from "../ratelimit/denial-memo";
import { isolateLeases } from "../ratelimit/isolate-leases";
import type { HandedRecords } from "../ratelimit/key-records";

/**
 * Tells the Durable Object deciding for the key (its own, or its identity's) the key's new status
 * (it is on every request's path, so the change applies everywhere within `LEASE_TTL_MS`) and drops
 * what this isolate remembers of the key, so here it applies at once. A key that changed identity
 * (`formerIdentityId`) is told to the object that decided for it before too. Retrying the write is safe.
 * Then the deciding object gets the key's new rows, best-effort (`handOverChangedKey`).
 */
export async function publishKeyStatus<E extends GatewayEnv>(
  c: Context<E>,
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
  // After the status, so the object never takes these rows for newer than what it was told.
  await handOverChangedKey(c, key);
}

/**
 * Hands a new secret's D1 rows (as stored, read back) to the object its body names, which keeps
 * them when it decides for the key: its first `resolve` of the secret then reads no D1. A secret
 * naming no object is left. Best-effort (`handOver`).
 */
export async function handOverSecret<E extends GatewayEnv>(c: Context<E>, hash: string, locator: Locator | undefined): Promise<void> {
  if (!locator) return;
  await handOver(c, async (db) => {
    const rows = await findKeyRowsBySecretHash(db, hash);
    return rows && { locator, kind: "new", secrets: [{ hash, rows }] };
  });
}

/**
 * The rows of every secret of a changed key to the object deciding for it, which replaces the rows
 * it holds of them: its next `resolve` of each reads no D1. Not for a revoked key (none are held).
 */
async function handOverChangedKey<E extends GatewayEnv>(c: Context<E>, key: KeyRow): Promise<void> {
  if (key.revokedAt !== null) return;
  const locator: Locator = key.identityId === null ? { kind: "key", id: key.id } : { kind: "idt", id: key.identityId };
  await handOver(c, async (db) => {
    const secrets = (await findKeyRowsByKeyId(db, key.id)).map((rows) => ({ hash: rows.secret.hash, rows }));
    return secrets.length > 0 ? { locator, kind: "update", secrets } : undefined;
  });
}

/**
 * Reads rows from D1 and hands them to an object (docs/rate-limits.md "One round trip for a cold
 * key"). Best-effort: the write is stored and enforced without it (the object reads D1 when it
 * lacks the newest record), so a failure costs that read, never the admin call.
 */
async function handOver<E extends GatewayEnv>(c: Context<E>, read: (db: Database) => Promise<HandedRecords | undefined>): Promise<void> {
  try {
    const handed = await read(database(c.env.DB));
    if (handed) await limiterClient(c).keepRecords(handed);
  } catch {
    // The object reads D1 on the next `resolve`, as for a key created before hand-overs.
  }
}

/**
 * Tells the identity's object its new status (enabled, limits and quota with its plan's merged in):
 * every key of it is decided there, so the change applies everywhere within `LEASE_TTL_MS`; here at
 * once, for `memberKeyIds`.
 */
export async function publishIdentityStatus(
  c: Context<GatewayEnv>,
  identity: IdentityRow,
  plan: Limits | null,
  memberKeyIds: string[],
): Promise<void> {
  const { keyCache } = c.get("config");
  isolateKeyCache(keyCache.maxEntries, keyCache.ttlMs).forgetIdentity(identity.id);
  forgetKeysHere(memberKeyIds);
  await limiterClient(c).updateIdentity(identityStatus(identity, plan));
}

/** Objects told at once by a plan change; more would queue behind the isolate's connection limits anyway. */
export const PLAN_PUBLISH_BATCH = 50;

/**
 * A plan's new limits or quota, told to the object of each identity on it (as an identity update
 * does), `PLAN_PUBLISH_BATCH` at a time; here at once, for `memberKeyIds`. Every object is tried
 * even when one fails; then the call fails (`limiter_unavailable`) and repeating it tells them again.
 */
export async function publishPlanMembers(
  c: Context<GatewayEnv>,
  plan: Limits,
  members: IdentityRow[],
  memberKeyIds: string[],
): Promise<void> {
  const { keyCache } = c.get("config");
  isolateKeyCache(keyCache.maxEntries, keyCache.ttlMs).forgetIdentities(new Set(members.map((m) => m.id)));
  forgetKeysHere(memberKeyIds);
  const limiter = limiterClient(c);
  let failure: unknown;
  for (let i = 0; i < members.length; i += PLAN_PUBLISH_BATCH) {
    const told = await Promise.allSettled(
      members.slice(i, i + PLAN_PUBLISH_BATCH).map((member) => limiter.updateIdentity(identityStatus(member, plan))),
    );
    for (const result of told) if (result.status === "rejected") failure ??= result.reason;
  }
  if (failure !== undefined) throw failure;
}

/** Drops what this isolate remembers of the keys' decisions, so a change to them applies here on the next request. */
function forgetKeysHere(keyIds: string[]): void {
  for (const keyId of keyIds) {
    isolateDenials.forget(keyObjectName(keyId));
    isolateLeases.drop(keyId);
  }
}
