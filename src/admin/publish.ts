import type { Context } from "hono";
import type { KeyRow, KeySecretRow } from "../db/schema";
import type { GatewayEnv } from "../env";
import { GatewayError } from "../errors";
import { isolateKeyCache } from "../keys/cache";
import { keyStatus } from "../keys/record";
import { keyObjectName } from "../ratelimit/decision";

/**
 * Tells the key's Durable Object its new status (it is on every request's path, so the change
 * applies everywhere at once) and drops this isolate's cached copy. Retrying the write is safe.
 */
export async function publishKeyStatus(c: Context<GatewayEnv>, key: KeyRow, secrets: KeySecretRow[]): Promise<void> {
  const { keyCache } = c.get("config");
  isolateKeyCache(keyCache.maxEntries, keyCache.ttlMs).forgetKey(key.id);
  try {
    await c.env.KEY_LIMITER.getByName(keyObjectName(key.id)).updateStatus(keyStatus(key, secrets));
  } catch (error) {
    throw new GatewayError("limiter_unavailable", "The change is stored but not yet enforced everywhere; retry the call.", {
      cause: error,
    });
  }
}
