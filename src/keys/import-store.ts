// D1 queries of the key import: registered prefixes, which hashes are already held, and the rows one
// import batch writes (docs/keys.md § Import).
import { eq, getTableColumns, type SQL, sql } from "drizzle-orm";
import type { Database } from "../db/client";
import { auditLog, importPrefixes, type KeyRow, type KeySecretRow, keySecrets, keys, type NewAuditRow } from "../db/schema";

/** Each statement carries its rows as one JSON parameter (D1 binds at most 100 per statement); this bounds its size. */
const MAX_JSON_BYTES = 512 * 1024;

export async function listImportPrefixes(db: Database): Promise<string[]> {
  const rows = await db.select({ prefix: importPrefixes.prefix }).from(importPrefixes);
  return rows.map((row) => row.prefix);
}

export interface ImportPrefixRow {
  prefix: string;
  createdAt: number;
}

/** Every registration with when it was made, oldest first. */
export function importPrefixRows(db: Database): Promise<ImportPrefixRow[]> {
  return db.select().from(importPrefixes).orderBy(importPrefixes.createdAt, importPrefixes.prefix);
}

/** Removes a registration with its audit entry in one batch; answers whether it existed (no audit entry when not). */
export async function deleteImportPrefix(db: Database, prefix: string, audit: NewAuditRow): Promise<boolean> {
  const found = await db.select({ prefix: importPrefixes.prefix }).from(importPrefixes).where(eq(importPrefixes.prefix, prefix));
  if (found.length === 0) return false;
  await db.batch([db.delete(importPrefixes).where(eq(importPrefixes.prefix, prefix)), db.insert(auditLog).values(audit)]);
  return true;
}

/** Secret hash → id of the key holding it, for those of `hashes` already stored: one statement whatever their number. */
export async function keysHoldingHashes(db: Database, hashes: string[]): Promise<Map<string, string>> {
  if (hashes.length === 0) return new Map();
  const rows = await db
    .select({ hash: keySecrets.hash, keyId: keySecrets.keyId })
    .from(keySecrets)
    .where(sql`${keySecrets.hash} in (select value from json_each(${JSON.stringify(hashes)}))`);
  return new Map(rows.map((row) => [row.hash, row.keyId]));
}

export interface ImportedKey {
  key: KeyRow;
  secret: KeySecretRow;
}

/** Rows of at most MAX_JSON_BYTES of JSON each (a 4 KiB metadata object per key makes 1,000 keys several MB). */
function jsonChunks(rows: ImportedKey[]): string[] {
  const chunks: string[] = [];
  let current: string[] = [];
  let bytes = 0;
  for (const row of rows) {
    const text = JSON.stringify({ ...row.key, secret: row.secret });
    if (current.length > 0 && bytes + text.length > MAX_JSON_BYTES) {
      chunks.push(`[${current.join(",")}]`);
      current = [];
      bytes = 0;
    }
    current.push(text);
    bytes += text.length + 1;
  }
  if (current.length > 0) chunks.push(`[${current.join(",")}]`);
  return chunks;
}

/** `value ->> '$.<path><column>'` for each of the table's columns, in its order: the select an `insert … select` needs. */
export function columnsFromJson(table: typeof keys | typeof keySecrets, path: string): SQL {
  return sql.join(
    Object.keys(getTableColumns(table)).map((name) => sql.raw(`value ->> '$.${path}${name}'`)),
    sql`, `,
  );
}

/**
 * Inserts the keys with their secrets, registers the prefix (none for "") and writes the audit entry, in one D1 batch.
 * A key whose hash is stored by the time the batch runs, or whose identity is gone by then, is skipped; answers the ids inserted.
 */
export async function insertImportedKeys(db: Database, rows: ImportedKey[], prefix: string, audit: NewAuditRow): Promise<Set<string>> {
  const chunks = jsonChunks(rows);
  // Keys whose hash is stored by now are skipped, and so are their secrets.
  const statements = chunks.flatMap((json) => [
    db
      .insert(keys)
      .select(
        sql`select ${columnsFromJson(keys, "")} from json_each(${json})
          where not exists (select 1 from key_secrets where hash = value ->> '$.secret.hash')
            and (value ->> '$.identityId' is null or exists (select 1 from identities where id = value ->> '$.identityId'))`,
      )
      .returning({ id: keys.id }),
    db.insert(keySecrets).select(
      sql`select ${columnsFromJson(keySecrets, "secret.")} from json_each(${json})
          where exists (select 1 from keys where keys.id = value ->> '$.id')`,
    ),
  ]);
  const registration = prefix ? [db.insert(importPrefixes).values({ prefix, createdAt: audit.at }).onConflictDoNothing()] : [];
  const results = await db.batch([db.insert(auditLog).values(audit), ...registration, ...statements]);
  const first = 1 + registration.length;
  const inserted = new Set<string>();
  for (let i = 0; i < chunks.length; i++) for (const { id } of results[first + 2 * i] as { id: string }[]) inserted.add(id);
  return inserted;
}
