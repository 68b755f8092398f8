import type { KeyRecord } from "./record";

interface Entry {
  record: KeyRecord | null;
  expiresAt: number;
}

/**
 * Isolate-local LRU of secret hash → key record, bounded in size and age, with the known unknowns
 * (null) in an LRU of their own: anyone can mint well-formed keys, and their negative entries must
 * never evict a real key's record, nor the stale copy served while D1 is down (docs/keys.md).
 * It only saves the D1 lookup: validity is re-judged by the key's Durable Object on every request.
 */
export class KeyCache {
  private readonly known = new Map<string, Entry>();
  private readonly unknown = new Map<string, Entry>();

  constructor(
    private readonly maxEntries: number,
    private readonly ttlMs: number,
    private readonly negativeTtlMs = Math.min(ttlMs, 5_000),
  ) {}

  /** A fresh entry, or undefined. Expired records stay until evicted, for `stale`. */
  get(hash: string, now: number): Entry | undefined {
    const map = this.known.has(hash) ? this.known : this.unknown;
    const entry = map.get(hash);
    if (!entry || entry.expiresAt <= now) return undefined;
    map.delete(hash);
    map.set(hash, entry); // most recently used goes last
    return entry;
  }

  /** Any record, however old: served when D1 cannot be reached (the key's Durable Object still judges validity). */
  stale(hash: string): Entry | undefined {
    return this.known.get(hash);
  }

  set(hash: string, record: KeyRecord | null, now: number): void {
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
