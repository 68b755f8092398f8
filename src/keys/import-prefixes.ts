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

/** This isolate's copy as it stands, without asking D1: empty until a foreign-shaped key made it load. */
export function knownImportPrefixes(): ReadonlySet<string> {
  return registry?.prefixes ?? NONE;
}

const NONE: ReadonlySet<string> = new Set();

/** An import in this isolate registered the prefix: its keys work here at once. */
export function rememberImportPrefix(prefix: string): void {
  registry?.prefixes.add(prefix);
}
