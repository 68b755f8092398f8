// Key rows in D1: lookup by secret hash, create, list (filtered, searched, sorted), update, audit.
import { and, desc, eq, gt, inArray, isNull, lt, or, type SQL, sql } from "drizzle-orm";
import type { Database } from "../db/client";
import {
  type AuditRow,
  auditLog,
  type IdentityRow,
  identities,
  type KeyRow,
  type KeySecretRow,
  keySecrets,
  keys,
  type NewAuditRow,
  operators,
  type PlanRow,
  plans,
} from "../db/schema";
import { columnsFromJson } from "./import-store";
import { afterPosition, type KeyListPosition, type KeySort, keyOrder } from "./list-order";
import { type KeyRecord, toKeyRecord } from "./record";

/**
 * True in a statement while the identity a key joins exists (always for none): membership is
 * decided in the same statement as the write, so a key never joins an identity being deleted
 * (the delete, for its part, refuses while a live key references the identity).
 */
export function identityExists(identityId: string | null | undefined): SQL {
  return identityId == null ? sql`1` : sql`EXISTS (SELECT 1 FROM ${identities} WHERE ${identities.id} = ${identityId})`;
}

/** The D1 rows behind a key record: the key, the presented secret, its identity and that identity's plan. */
export interface KeyRecordRows {
  key: KeyRow;
  secret: KeySecretRow;
  identity: IdentityRow | null;
  plan: PlanRow | null;
}

/** Rows behind key records, one per secret, with the key, its identity and the identity's plan if it has them. */
const recordRows = (db: Database, where: SQL | undefined) =>
  db
    .select({ key: keys, secret: keySecrets, identity: identities, plan: plans })
    .from(keySecrets)
    .innerJoin(keys, eq(keySecrets.keyId, keys.id))
    .leftJoin(identities, eq(keys.identityId, identities.id))
    .leftJoin(plans, eq(identities.planId, plans.id))
    .where(where);

/** One D1 query: the rows of the key that owns the secret with this hash, with its identity and the identity's plan if it has them. */
export async function findKeyRowsBySecretHash(db: Database, hash: string): Promise<KeyRecordRows | undefined> {
  const rows = await recordRows(db, eq(keySecrets.hash, hash)).limit(1);
  return rows[0];
}

/** One D1 query: the rows behind the record of each of the key's secrets. */
export function findKeyRowsByKeyId(db: Database, keyId: string): Promise<KeyRecordRows[]> {
  return recordRows(db, eq(keySecrets.keyId, keyId));
}

/** One D1 query: the key that owns the secret with this hash, with its identity and the identity's plan if it has them. */
export async function findKeyBySecretHash(db: Database, hash: string): Promise<KeyRecord | undefined> {
  const row = await findKeyRowsBySecretHash(db, hash);
  return row ? toKeyRecord(row.key, row.secret, row.identity, row.plan) : undefined;
}

export async function getKeyRow(db: Database, id: string): Promise<KeyRow | undefined> {
  const rows = await db.select().from(keys).where(eq(keys.id, id)).limit(1);
  return rows[0];
}

export async function getSecrets(db: Database, keyId: string): Promise<KeySecretRow[]> {
  return db.select().from(keySecrets).where(eq(keySecrets.keyId, keyId));
}

/** Inserts the key, its secret and the audit entry in one batch; answers false, writing nothing, if the identity it joins is gone. */
export async function insertKey(db: Database, key: KeyRow, secret: KeySecretRow, audit: NewAuditRow): Promise<boolean> {
  if (key.identityId === null) {
    await db.batch([db.insert(keys).values(key), db.insert(keySecrets).values(secret), db.insert(auditLog).values(audit)]);
    return true;
  }
  const json = JSON.stringify([key]);
  const stored = sql`EXISTS (SELECT 1 FROM ${keys} WHERE ${keys.id} = ${key.id})`;
  const [inserted] = await db.batch([
    db
      .insert(keys)
      .select(sql`SELECT ${columnsFromJson(keys, "")} FROM json_each(${json}) WHERE ${identityExists(key.identityId)}`)
      .returning({ id: keys.id }),
    db
      .insert(keySecrets)
      .select(
        sql`SELECT ${secret.id}, ${secret.keyId}, ${secret.hash}, ${secret.start}, ${secret.createdAt}, ${secret.expiresAt} WHERE ${stored}`,
      ),
    // Columns in the table's order: seq (assigned), at, action, key_id, actor, changes.
    db
      .insert(auditLog)
      .select(
        sql`SELECT NULL, ${audit.at}, ${audit.action}, ${audit.keyId ?? null}, ${audit.actor}, ${JSON.stringify(audit.changes)} WHERE ${stored}`,
      ),
  ]);
  return inserted.length > 0;
}

export interface KeyPage {
  keys: KeyRow[];
  secrets: Map<string, KeySecretRow[]>;
  /** Id of the last key on the page when more may follow. */
  lastId: string | undefined;
}

/** A key's status as lists show it: the first that applies of revoked, expired, disabled; else active. */
export const KEY_LIST_STATUSES = ["active", "disabled", "expired", "revoked"] as const;
export type KeyListStatus = (typeof KEY_LIST_STATUSES)[number];

/** The SQL for one status at `now`, in the order the statuses are judged (see KEY_LIST_STATUSES). */
function statusCondition(status: KeyListStatus, now: number) {
  const revoked = sql`(${keys.revokedAt} IS NOT NULL AND ${keys.revokedAt} <= ${now})`;
  const expired = sql`(${keys.expiresAt} IS NOT NULL AND ${keys.expiresAt} <= ${now})`;
  if (status === "revoked") return revoked;
  if (status === "expired") return sql`(NOT ${revoked} AND ${expired})`;
  return sql`(NOT ${revoked} AND NOT ${expired} AND ${keys.enabled} = ${status === "active" ? 1 : 0})`;
}

/** A key whose name, owner, id or any secret's displayed `start` contains `text` (ASCII case ignored). */
function searchCondition(text: string) {
  const pattern = `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  return sql`(${keys.name} LIKE ${pattern} ESCAPE '\\' OR ${keys.owner} LIKE ${pattern} ESCAPE '\\' OR ${keys.id} LIKE ${pattern} ESCAPE '\\' OR EXISTS (SELECT 1 FROM ${keySecrets} WHERE ${keySecrets.keyId} = ${keys.id} AND ${keySecrets.start} LIKE ${pattern} ESCAPE '\\'))`;
}

/**
 * Keys in id order after `afterId`, or in a sort's order after `after` (see list-order.ts), optionally
 * of one owner or identity (served by the (owner, id) and (identity_id, id) indexes), status or search.
 */
export async function listKeyRows(
  db: Database,
  query: {
    owner?: string;
    identityId?: string;
    status?: KeyListStatus;
    search?: string;
    now?: number;
    limit: number;
    afterId?: string;
    sort?: KeySort;
    after?: KeyListPosition;
  },
): Promise<KeyPage> {
  const conditions = [
    query.search ? searchCondition(query.search) : undefined,
    query.owner !== undefined ? eq(keys.owner, query.owner) : undefined,
    query.identityId !== undefined ? eq(keys.identityId, query.identityId) : undefined,
    query.status !== undefined ? statusCondition(query.status, query.now ?? Date.now()) : undefined,
    query.afterId ? gt(keys.id, query.afterId) : undefined,
    query.sort !== undefined && query.after !== undefined ? afterPosition(query.sort, query.after) : undefined,
  ];
  // One extra row says whether another page exists.
  const rows = await db
    .select()
    .from(keys)
    .where(and(...conditions))
    .orderBy(...keyOrder(query.sort))
    .limit(query.limit + 1);
  const page = rows.slice(0, query.limit);
  const secrets = new Map<string, KeySecretRow[]>();
  if (page.length > 0) {
    const secretRows = await db
      .select()
      .from(keySecrets)
      .where(
        inArray(
          keySecrets.keyId,
          page.map((k) => k.id),
        ),
      );
    for (const secret of secretRows) secrets.set(secret.keyId, [...(secrets.get(secret.keyId) ?? []), secret]);
  }
  return { keys: page, secrets, lastId: rows.length > query.limit ? page.at(-1)?.id : undefined };
}

export type KeyChanges = Partial<
  Pick<
    KeyRow,
    | "name"
    | "owner"
    | "scopes"
    | "rateLimits"
    | "routeRateLimits"
    | "quota"
    | "ipAllowlist"
    | "metadata"
    | "enabled"
    | "expiresAt"
    | "identityId"
  >
>;

/**
 * Applies the changes and bumps the version, with its audit entry in the same batch. A change of
 * `identityId` applies only while that identity exists: answers "identity_gone" (nothing written) if not.
 */
export async function updateKeyRow(
  db: Database,
  id: string,
  changes: KeyChanges,
  now: number,
  audit: NewAuditRow,
): Promise<KeyRow | "identity_gone" | undefined> {
  const joins = identityExists(changes.identityId);
  const [updated] = await db.batch([
    db
      .update(keys)
      .set({ ...changes, updatedAt: now, version: sql`${keys.version} + 1` })
      .where(and(eq(keys.id, id), joins))
      .returning(),
    // Columns in the table's order: seq (assigned), at, action, key_id, actor, changes.
    db
      .insert(auditLog)
      .select(
        sql`SELECT NULL, ${audit.at}, ${audit.action}, ${audit.keyId ?? null}, ${audit.actor}, ${JSON.stringify(audit.changes)} WHERE ${joins}`,
      ),
  ]);
  if (updated[0]) return updated[0];
  return changes.identityId == null ? undefined : "identity_gone";
}

/** Marks the key revoked (the row stays) and bumps its version; an already revoked key is left as it is. */
export async function revokeKeyRow(db: Database, current: KeyRow, now: number, audit: NewAuditRow): Promise<KeyRow> {
  if (current.revokedAt !== null) return current;
  const [updated] = await db.batch([
    db
      .update(keys)
      .set({ revokedAt: now, updatedAt: now, version: sql`${keys.version} + 1` })
      .where(and(eq(keys.id, current.id), isNull(keys.revokedAt)))
      .returning(),
    db.insert(auditLog).values(audit),
  ]);
  return updated[0] ?? (await getKeyRow(db, current.id)) ?? current;
}

/**
 * Adds a secret and gives every older secret an expiry of `oldExpiresAt` (never later than one it
 * already has), bumping the key's version; one batch with the audit entry.
 */
export async function rotateKeySecret(
  db: Database,
  keyId: string,
  secret: KeySecretRow,
  oldExpiresAt: number,
  now: number,
  audit: NewAuditRow,
): Promise<KeyRow | undefined> {
  const results = await db.batch([
    db
      .update(keySecrets)
      .set({ expiresAt: oldExpiresAt })
      .where(and(eq(keySecrets.keyId, keyId), or(isNull(keySecrets.expiresAt), gt(keySecrets.expiresAt, oldExpiresAt)))),
    db.insert(keySecrets).values(secret),
    db
      .update(keys)
      .set({ updatedAt: now, version: sql`${keys.version} + 1` })
      .where(eq(keys.id, keyId))
      .returning(),
    db.insert(auditLog).values(audit),
  ]);
  return results[2][0];
}

/** Written by the key's Durable Object at most once a minute, never on the request path; never moves back. */
export async function recordLastUse(db: Database, keyId: string, at: number): Promise<void> {
  await db
    .update(keys)
    .set({ lastUsedAt: at })
    .where(and(eq(keys.id, keyId), or(isNull(keys.lastUsedAt), lt(keys.lastUsedAt, at))));
}

/** The current names of the keys and operator tokens a page of audit entries mentions (two reads, by primary key). */
export async function auditNames(
  db: Database,
  keyIds: string[],
  operatorIds: string[],
): Promise<{ keys: Map<string, string>; operators: Map<string, string> }> {
  const [keyRows, operatorRows] = await Promise.all([
    keyIds.length ? db.select({ id: keys.id, name: keys.name }).from(keys).where(inArray(keys.id, keyIds)) : [],
    operatorIds.length
      ? db.select({ id: operators.id, name: operators.name }).from(operators).where(inArray(operators.id, operatorIds))
      : [],
  ]);
  return { keys: new Map(keyRows.map((r) => [r.id, r.name])), operators: new Map(operatorRows.map((r) => [r.id, r.name])) };
}

/** Audit entries newest first, before `beforeSeq`. */
export async function listAuditRows(
  db: Database,
  query: { limit: number; beforeSeq?: number; keyId?: string; actor?: string; identityId?: string; action?: AuditRow["action"] },
): Promise<{ rows: AuditRow[]; lastSeq: number | undefined }> {
  const conditions = [
    query.beforeSeq !== undefined ? lt(auditLog.seq, query.beforeSeq) : undefined,
    query.keyId ? eq(auditLog.keyId, query.keyId) : undefined,
    query.actor ? eq(auditLog.actor, query.actor) : undefined,
    query.action ? eq(auditLog.action, query.action) : undefined,
    query.identityId ? sql`json_extract(${auditLog.changes}, '$.identityId') = ${query.identityId}` : undefined,
  ];
  const rows = await db
    .select()
    .from(auditLog)
    .where(and(...conditions))
    .orderBy(desc(auditLog.seq))
    .limit(query.limit + 1);
  const page = rows.slice(0, query.limit);
  return { rows: page, lastSeq: rows.length > query.limit ? page.at(-1)?.seq : undefined };
}
