import type { Context } from "hono";
import type { KeyRow, KeySecretRow } from "../db/schema";
import type { GatewayEnv } from "../env";
import { isolateKeyCache } from "../keys/cache";
import { keyStatus } from "../keys/record";
import { keyObjectName, limiterClient } from "../ratelimit/client";
import { isolateDenials } from "../ratelimit/denial-memo";
import { isolateLeases } from "../ratelimit/isolate-leases";

/**
 * Tells the key's Durable Object its new status (it is on every request's path, so the change
 * applies everywhere within `LEASE_TTL_MS`) and drops what this isolate remembers of the key, so
 * here it applies at once. Retrying the write is safe.
 */
export async function publishKeyStatus(c: Context<GatewayEnv>, key: KeyRow, secrets: KeySecretRow[]): Promise<void> {
  const { keyCache } = c.get("config");
  isolateKeyCache(keyCache.maxEntries, keyCache.ttlMs).forgetKey(key.id);
  isolateDenials.forget(keyObjectName(key.id));
  isolateLeases.drop(key.id);
  await limiterClient(c).updateStatus(key.id, keyStatus(key, secrets));
}
