/**
 * GitHub's secret-scanning public keys, read from `SECRET_SCANNING_KEYS_URL` and kept in the isolate;
 * an identifier not among them reads the list again, once per report (GitHub rotates its keys).
 */
import { z } from "@hono/zod-openapi";
import { importPublicKey } from "./signature";

const PublicKeysDocument = z.object({
  public_keys: z.array(z.object({ key_identifier: z.string().min(1), key: z.string().min(1), is_current: z.boolean().optional() })),
});

/** How long a read of the list may take before the report is refused (GitHub retries it). */
const FETCH_TIMEOUT_MS = 5_000;

/** The keys per list URL, as last read (or being read): identifier → key. */
const keysByUrl = new Map<string, { keys: Promise<Map<string, CryptoKey>>; settled: boolean }>();

async function readKeys(url: string): Promise<Map<string, CryptoKey>> {
  const response = await fetch(url, {
    headers: { accept: "application/json", "user-agent": "edge-api-gateway secret-scanning" },
    signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
  });
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  const document = PublicKeysDocument.parse(await response.json());
  const keys = new Map<string, CryptoKey>();
  for (const entry of document.public_keys) {
    const key = await importPublicKey(entry.key);
    if (key) keys.set(entry.key_identifier, key);
  }
  return keys;
}

/** Reads the list anew; reports arriving while a read is under way share it. A failed read is not kept. */
function refresh(url: string): Promise<Map<string, CryptoKey>> {
  const current = keysByUrl.get(url);
  if (current && !current.settled) return current.keys;
  const entry = { keys: readKeys(url), settled: false };
  keysByUrl.set(url, entry);
  entry.keys.then(
    () => {
      entry.settled = true;
    },
    () => {
      entry.settled = true;
      if (keysByUrl.get(url) === entry) keysByUrl.delete(url);
    },
  );
  return entry.keys;
}

/** The key with this identifier: from the isolate's copy, else from a new read of the list. Throws when the list cannot be read. */
export async function publicKey(url: string, identifier: string): Promise<CryptoKey | undefined> {
  const cached = keysByUrl.get(url);
  const known = cached && (await cached.keys.catch(() => undefined))?.get(identifier);
  if (known) return known;
  return (await refresh(url)).get(identifier);
}
