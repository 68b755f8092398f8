// The isolate's key cache: secret hash → key record, so a warm isolate skips the D1 lookup
// (the LRU itself is src/keys/record-cache.ts, which bench/edge/ drives under Node).
import type { KeyRecord } from "./record";
import { RecordCache } from "./record-cache.ts";

/**
 * Isolate-local LRU of secret hash → key record, bounded in size and age, with the known unknowns
 * (null) in an LRU of their own (see `RecordCache`). It only saves the D1 lookup: validity is
 * re-judged by the key's Durable Object on every request.
 */
export class KeyCache extends RecordCache<KeyRecord> {}

const shared = new Map<string, KeyCache>();

/** The isolate's cache for these bounds (one in production, where the config is fixed per isolate). */
export function isolateKeyCache(maxEntries: number, ttlMs: number): KeyCache {
  const bounds = `${maxEntries}/${ttlMs}`;
  let cache = shared.get(bounds);
  if (!cache) {
    cache = new KeyCache(maxEntries, ttlMs);
    shared.set(bounds, cache);
  }
  return cache;
}
