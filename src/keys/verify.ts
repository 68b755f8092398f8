// The D1 path of a key lookup: isolate cache, else D1 by the secret's hash, counting unknown keys against
// their sender (docs/keys.md § Forged keys).
import type { Database } from "../db/client";
import { GatewayError } from "../errors";
import type { KeyCache } from "./cache";
import type { LookupFailures } from "./failed-lookups";
import { hashKey } from "./format";
import type { KeyRecord } from "./record";
import { findKeyBySecretHash } from "./store";

/**
 * The record of a well-formed key: from the isolate cache, else one D1 query (else a stale cached copy). Undefined if unknown.
 * `fresh`: D1 first, the cached record being known to be older than the key's (docs/rate-limits.md "Every change within the bound").
 * With `failures`, a cache miss is refused while the client is blocked, and an unknown key is counted against it.
 */
export async function verifyKey(
  key: string,
  db: Database,
  cache: KeyCache,
  now = Date.now(),
  fresh = false,
  failures?: LookupFailures,
): Promise<KeyRecord | undefined> {
  const hash = hashKey(key);
  const cached = fresh ? undefined : cache.get(hash, now);
  if (cached) return cached.record ?? undefined;
  failures?.refuseIfBlocked(now);
  let record: KeyRecord | undefined;
  try {
    record = await findKeyBySecretHash(db, hash);
  } catch (error) {
    // Keys this isolate already knows keep working; an unknown one cannot be judged now.
    const stale = cache.stale(hash);
    if (stale?.record) return stale.record;
    throw new GatewayError("key_store_unavailable", "The key could not be verified right now; retry shortly.", { cause: error });
  }
  cache.set(hash, record ?? null, now);
  if (!record) await failures?.record(now);
  return record;
}
