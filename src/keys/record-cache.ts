// Secret hash → record LRU, bounded in size and age: the isolate key cache's whole logic
// (src/keys/cache.ts `KeyCache`), with no imports so bench/edge/ can drive it under Node.

/** What the cache needs of a record: whose key it is, and the identity it shares limits with. */
export interface CachedRecord {
  id: string;
  identity: { id: string } | null;
}

interface Entry<R> {
  record: R | null;
  expiresAt: number;
}

/**
 * Isolate-local LRU of secret hash → key record, bounded in size and age, with the known unknowns
 * (null) in an LRU of their own: anyone can mint well-formed keys, and their negative entries must
 * never evict a real key's record, nor the stale copy served while D1 is down (docs/keys.md).
 * It only saves the D1 lookup: validity is re-judged by the key's Durable Object on every request.
 */
export class RecordCache<R extends CachedRecord> {
  private readonly known = new Map<string, Entry<R>>();
  private readonly unknown = new Map<string, Entry<R>>();

  private readonly maxEntries: number;
  private readonly ttlMs: number;
  private readonly negativeTtlMs: number;

  // Plain fields, not parameter properties: Node's type stripping (bench/) rejects those.
  constructor(maxEntries: number, ttlMs: number, negativeTtlMs = Math.min(ttlMs, 5_000)) {
    this.maxEntries = maxEntries;
    this.ttlMs = ttlMs;
    this.negativeTtlMs = negativeTtlMs;
  }

  /** A fresh entry, or undefined. Expired records stay until evicted, for `stale`. */
  get(hash: string, now: number): Entry<R> | undefined {
    const map = this.known.has(hash) ? this.known : this.unknown;
    const entry = map.get(hash);
    if (!entry || entry.expiresAt <= now) return undefined;
    map.delete(hash);
    map.set(hash, entry); // most recently used goes last
    return entry;
  }

  /** Any record, however old: served when D1 cannot be reached (the key's Durable Object still judges validity). */
  stale(hash: string): Entry<R> | undefined {
    return this.known.get(hash);
  }

  set(hash: string, record: R | null, now: number): void {
    this.forget(hash);
    const map = record ? this.known : this.unknown;
    map.set(hash, { record, expiresAt: now + (record ? this.ttlMs : this.negativeTtlMs) });
    while (map.size > this.maxEntries) map.delete(map.keys().next().value as string);
  }

  /** Drops what is cached for one secret hash (a key imported in this isolate may have been looked up as unknown). */
  forget(hash: string): void {
    this.known.delete(hash);
    this.unknown.delete(hash);
  }

  /** Drops every cached secret of a key (an admin write in this isolate). */
  forgetKey(keyId: string): void {
    for (const [hash, entry] of this.known) if (entry.record?.id === keyId) this.known.delete(hash);
  }

  /** Drops every cached key of an identity (an admin write to the identity in this isolate). */
  forgetIdentity(identityId: string): void {
    for (const [hash, entry] of this.known) if (entry.record?.identity?.id === identityId) this.known.delete(hash);
  }

  /** Forgets the keys of any of these identities in one pass (a plan's, after the plan changed). */
  forgetIdentities(identityIds: ReadonlySet<string>): void {
    for (const [hash, entry] of this.known)
      if (entry.record?.identity && identityIds.has(entry.record.identity.id)) this.known.delete(hash);
  }
}
