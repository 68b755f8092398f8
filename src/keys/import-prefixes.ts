// The prefixes of imported keys this isolate recognises, read from D1 and refreshed every 30 s, so a foreign
// key's shape is judged without a lookup per request (docs/keys.md § Import).
import type { Database } from "../db/client";
import { GatewayError } from "../errors";
import { couldBeForeignKey, hasImportShape } from "./foreign-format";
import { listImportPrefixes } from "./import-store";

/** How long an isolate trusts its copy of the registered prefixes: a prefix registered elsewhere works here within this. */
export const IMPORT_PREFIXES_REFRESH_MS = 30_000;

interface Registry {
  prefixes: Set<string>;
  loadedAt: number;
}

let registry: Registry | undefined;

/** The registered import prefixes: this isolate's copy, read from D1 at most once per refresh interval. */
export async function registeredPrefixes(db: Database, now: number): Promise<ReadonlySet<string>> {
  if (registry && now - registry.loadedAt < IMPORT_PREFIXES_REFRESH_MS) return registry.prefixes;
  try {
    registry = { prefixes: new Set(await listImportPrefixes(db)), loadedAt: now };
  } catch (error) {
    // An out-of-date list still judges shapes; with none, a possibly imported key cannot be judged now.
    if (registry) return registry.prefixes;
    throw new GatewayError("key_store_unavailable", "The key could not be verified right now; retry shortly.", { cause: error });
  }
  return registry.prefixes;
}

/** Whether a key not of the gateway's own format has the shape of a registered import; no D1 query on most calls. */
export async function hasImportedShape(key: string, db: Database, now: number): Promise<boolean> {
  return couldBeForeignKey(key) && hasImportShape(key, await registeredPrefixes(db, now));
}

/** Every value of a foreign key's shape: the prefix "" matches them all (docs/keys.md § Import). */
const ANY_FOREIGN_SHAPE: ReadonlySet<string> = new Set([""]);

let refreshing: Promise<unknown> | undefined;

/**
 * The prefixes whose keys the proxy removes before forwarding (docs/keys.md § Import): known before
 * anything is proxied. The first call in an isolate reads D1; later ones use this isolate's copy and
 * refresh a stale one in the background (`defer`, e.g. `waitUntil`). With no copy and D1 down,
 * every value of a foreign key's shape is removed rather than risk forwarding an imported key.
 */
export async function prefixesToRemove(db: Database, now: number, defer: (work: Promise<unknown>) => void): Promise<ReadonlySet<string>> {
  if (!registry) {
    try {
      return await registeredPrefixes(db, now);
    } catch {
      return ANY_FOREIGN_SHAPE;
    }
  }
  if (now - registry.loadedAt >= IMPORT_PREFIXES_REFRESH_MS) readInBackground(db, now, defer);
  return registry.prefixes;
}

const NO_PREFIXES: ReadonlySet<string> = new Set();

/**
 * The prefixes this isolate holds, for a request that carries no value of a foreign key's shape (no
 * prefix could match any of its values): never waits for D1. With no copy yet it starts the first
 * read in the background (`defer`) and returns none; a stale copy is refreshed as `prefixesToRemove` does.
 */
export function prefixesIfRead(db: Database, now: number, defer: (work: Promise<unknown>) => void): ReadonlySet<string> {
  if (!registry || now - registry.loadedAt >= IMPORT_PREFIXES_REFRESH_MS) readInBackground(db, now, defer);
  return registry?.prefixes ?? NO_PREFIXES;
}

/** One read of the prefixes at a time, off the request's path. */
function readInBackground(db: Database, now: number, defer: (work: Promise<unknown>) => void): void {
  if (refreshing) return;
  refreshing = registeredPrefixes(db, now)
    .catch(() => undefined)
    .finally(() => {
      refreshing = undefined;
    });
  defer(refreshing);
}

/** An import in this isolate registered the prefix: its keys work here at once. */
export function rememberImportPrefix(prefix: string): void {
  registry?.prefixes.add(prefix);
}

/** A deletion in this isolate removed the prefix: its keys stop being looked up here at once (elsewhere within the refresh interval). */
export function forgetImportPrefix(prefix: string): void {
  registry?.prefixes.delete(prefix);
}
