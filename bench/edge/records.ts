// The key record the edge model's caches hold: what D1, or the key's object, would answer for a
// key at a given moment (the fields of src/keys/record.ts `KeyRecord` the model reads; only
// `revokedAt` varies), and the isolate cache that holds it (src/keys/record-cache.ts, KeyCache's logic).
import { RecordCache } from "../../src/keys/record-cache.ts";
import type { EdgeKey } from "./traffic.ts";

export interface EdgeRecord {
  id: string;
  identity: null;
  revokedAt: number | null;
  version: number;
  loadedAt: number;
}

/** The isolate key cache (or, with a 60 s TTL, a location's cache in `edge-cache-60s`). */
export const recordCache = (entries: number, ttlMs: number) => new RecordCache<EdgeRecord>(entries, ttlMs);

/** The key's record as read at `at`: revoked if the revocation was written by then. */
export function recordAt(key: EdgeKey, at: number): EdgeRecord {
  const revokedAt = key.revokedAt !== null && key.revokedAt <= at ? key.revokedAt : null;
  return { id: key.hash, identity: null, revokedAt, version: revokedAt === null ? 1 : 2, loadedAt: at };
}

/** What the isolate refuses on its own from a record it holds (a revoked key: no call). */
export const refusedByRecord = (record: EdgeRecord, now: number) => record.revokedAt !== null && record.revokedAt <= now;
