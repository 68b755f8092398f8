// A JSONL file of foreign keys for `npm run keys -- import`, for the import's end-to-end test and
// its benchmark: one in four keys is given only by its SHA-256, as a system that kept hashes would.
import { createHash, randomBytes } from "node:crypto";
import { once } from "node:events";
import { createWriteStream } from "node:fs";

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** `<prefix>_` and 32 base62 characters, as another key system might issue (modulo bias is irrelevant here). */
export function foreignKey(prefix: string): string {
  return `${prefix}_${Array.from(randomBytes(32), (byte) => BASE62[byte % 62]).join("")}`;
}

/** Writes `count` entries to `path` and answers their plaintexts, line i+1 holding keys[i]. */
export async function writeImportFile(path: string, count: number, prefix: string): Promise<string[]> {
  const out = createWriteStream(path);
  const keys: string[] = [];
  for (let i = 0; i < count; i++) {
    const key = foreignKey(prefix);
    keys.push(key);
    const secret = i % 4 === 3 ? { hash: createHash("sha256").update(key).digest("hex") } : { key };
    const line = `${JSON.stringify({ ...secret, name: `imported ${i}`, owner: `customer-${i % 100}`, scopes: ["read"] })}\n`;
    if (!out.write(line)) await once(out, "drain");
  }
  out.end();
  await once(out, "finish");
  return keys;
}
