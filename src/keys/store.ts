import { and, eq, isNull } from "drizzle-orm";
import type { Database } from "../db/client";
import { keys, keySecrets, type KeyRow, type KeySecretRow } from "../db/schema";
import { toKeyRecord, type KeyRecord } from "./record";

/** One D1 query: the key that owns the secret with this hash. */
export async function findKeyBySecretHash(db: Database, hash: string): Promise<KeyRecord | undefined> {
  const rows = await db
    .select({ key: keys, secret: keySecrets })
    .from(keySecrets)
    .innerJoin(keys, eq(keySecrets.keyId, keys.id))
    .where(eq(keySecrets.hash, hash))
    .limit(1);
  const row = rows[0];
  return row ? toKeyRecord(row.key, row.secret) : undefined;
}

export async function getKeyRow(db: Database, id: string): Promise<KeyRow | undefined> {
  const rows = await db.select().from(keys).where(eq(keys.id, id)).limit(1);
  return rows[0];
}

export async function getSecrets(db: Database, keyId: string): Promise<KeySecretRow[]> {
  return db.select().from(keySecrets).where(eq(keySecrets.keyId, keyId));
}

export async function insertKey(db: Database, key: KeyRow, secret: KeySecretRow): Promise<void> {
  await db.batch([db.insert(keys).values(key), db.insert(keySecrets).values(secret)]);
}

/** Marks the key revoked (the row stays) and bumps its version; undefined if there is no such key. */
export async function revokeKeyRow(db: Database, id: string, now: number): Promise<KeyRow | undefined> {
  const current = await getKeyRow(db, id);
  if (!current) return undefined;
  if (current.revokedAt !== null) return current;
  const rows = await db
    .update(keys)
    .set({ revokedAt: now, updatedAt: now, version: current.version + 1 })
    .where(and(eq(keys.id, id), isNull(keys.revokedAt)))
    .returning();
  return rows[0] ?? (await getKeyRow(db, id));
}
