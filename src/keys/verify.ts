import type { Database } from "../db/client";
import type { KeyCache } from "./cache";
import { hashKey } from "./format";
import type { KeyRecord } from "./record";
import { findKeyBySecretHash } from "./store";

/** The record of a well-formed key: from the isolate cache, else one D1 query. Undefined if unknown. */
export async function verifyKey(key: string, db: Database, cache: KeyCache, now = Date.now()): Promise<KeyRecord | undefined> {
  const hash = await hashKey(key);
  const cached = cache.get(hash, now);
  if (cached) return cached.record ?? undefined;
  const record = await findKeyBySecretHash(db, hash);
  cache.set(hash, record ?? null, now);
  return record;
}
