// Identities in D1 (docs/identities.md): reads, paged lists, and writes with their audit entry in the same batch,
// including the delete that refuses an identity a live key still belongs to.
import { and, asc, eq, gt, inArray, isNull, notExists, sql } from "drizzle-orm";
import type { Database } from "../db/client";
import { auditLog, type IdentityRow, identities, keys, type NewAuditRow, type PlanRow, plans } from "../db/schema";

export async function getIdentityRow(db: Database, id: string): Promise<IdentityRow | undefined> {
  const rows = await db.select().from(identities).where(eq(identities.id, id)).limit(1);
  return rows[0];
}

/** The identity with this `externalId` (a portal customer's provider `sub`), if any. */
export async function findIdentityByExternalId(db: Database, externalId: string): Promise<IdentityRow | undefined> {
  const rows = await db.select().from(identities).where(eq(identities.externalId, externalId)).limit(1);
  return rows[0];
}

/** An identity with the plan it is on (null for none, or one deleted meanwhile). */
export interface IdentityWithPlan {
  identity: IdentityRow;
  plan: PlanRow | null;
}

/** One query: the identity and its plan. */
export async function getIdentityWithPlan(db: Database, id: string): Promise<IdentityWithPlan | undefined> {
  const rows = await db
    .select({ identity: identities, plan: plans })
    .from(identities)
    .leftJoin(plans, eq(identities.planId, plans.id))
    .where(eq(identities.id, id))
    .limit(1);
  return rows[0];
}

/** D1's answer to a write that broke a unique index (here: a taken `externalId`). */
export const isUniqueViolation = (error: unknown) =>
  String(error instanceof Error && error.cause ? error.cause : error).includes("UNIQUE constraint failed");

/** The identity and its audit entry, in one batch; false when its `externalId` is taken. */
export async function insertIdentity(db: Database, row: IdentityRow, audit: NewAuditRow): Promise<boolean> {
  try {
    await db.batch([db.insert(identities).values(row), db.insert(auditLog).values(audit)]);
    return true;
  } catch (error) {
    if (isUniqueViolation(error)) return false;
    throw error;
  }
}

export type IdentityChanges = Partial<
  Pick<IdentityRow, "externalId" | "name" | "metadata" | "enabled" | "rateLimits" | "quota" | "planId">
>;

/**
 * Applies the changes and bumps the version, with its audit entry in the same batch, and reads its
 * plan in that batch too (a plan write between them would otherwise be told with an older version);
 * undefined when the identity is gone.
 */
export async function updateIdentityRow(
  db: Database,
  id: string,
  changes: IdentityChanges,
  now: number,
  audit: NewAuditRow,
): Promise<IdentityWithPlan | undefined> {
  const [updated, , plan] = await db.batch([
    db
      .update(identities)
      .set({ ...changes, updatedAt: now, version: sql`${identities.version} + 1` })
      .where(eq(identities.id, id))
      .returning(),
    db.insert(auditLog).values(audit),
    db
      .select()
      .from(plans)
      .where(sql`${plans.id} = (SELECT ${identities.planId} FROM ${identities} WHERE ${identities.id} = ${id})`)
      .limit(1),
  ]);
  return updated[0] && { identity: updated[0], plan: plan[0] ?? null };
}

/** Whether a key that is not revoked belongs to the identity: then it cannot be deleted (docs/identities.md). */
export async function holdsLiveKeys(db: Database, id: string): Promise<boolean> {
  const rows = await db
    .select({ id: keys.id })
    .from(keys)
    .where(and(eq(keys.identityId, id), isNull(keys.revokedAt)))
    .limit(1);
  return rows.length > 0;
}

/**
 * Deletes the identity unless a live key joined it meanwhile (checked in the same statement), and
 * releases its revoked keys; the audit entry is written only if it was deleted, in the same batch.
 */
export async function deleteIdentityRow(db: Database, id: string, audit: NewAuditRow): Promise<boolean> {
  const gone = sql`NOT EXISTS (SELECT 1 FROM ${identities} WHERE ${identities.id} = ${id})`;
  const [deleted] = await db.batch([
    db
      .delete(identities)
      .where(
        and(
          eq(identities.id, id),
          notExists(
            db
              .select({ id: keys.id })
              .from(keys)
              .where(and(eq(keys.identityId, id), isNull(keys.revokedAt))),
          ),
        ),
      )
      .returning({ id: identities.id }),
    db
      .update(keys)
      .set({ identityId: null })
      .where(and(eq(keys.identityId, id), gone)),
    // Columns in the table's order: seq (assigned), at, action, key_id, actor, changes.
    db
      .insert(auditLog)
      .select(
        sql`SELECT NULL, ${audit.at}, ${audit.action}, ${audit.keyId ?? null}, ${audit.actor}, ${JSON.stringify(audit.changes)} WHERE ${gone}`,
      ),
  ]);
  return deleted.length > 0;
}

/** Identities in id order after `afterId`, optionally the one with an `externalId`; one extra row says whether another page exists. */
export async function listIdentityRows(
  db: Database,
  query: { externalId?: string; limit: number; afterId?: string },
): Promise<{ rows: IdentityRow[]; lastId: string | undefined }> {
  const rows = await db
    .select()
    .from(identities)
    .where(
      and(
        query.externalId !== undefined ? eq(identities.externalId, query.externalId) : undefined,
        query.afterId ? gt(identities.id, query.afterId) : undefined,
      ),
    )
    .orderBy(asc(identities.id))
    .limit(query.limit + 1);
  const page = rows.slice(0, query.limit);
  return { rows: page, lastId: rows.length > query.limit ? page.at(-1)?.id : undefined };
}

/** The id of the identity holding `externalId`, for a conflict that names it; undefined if none does (any more). */
export async function identityIdByExternalId(db: Database, externalId: string): Promise<string | undefined> {
  const [row] = await db.select({ id: identities.id }).from(identities).where(eq(identities.externalId, externalId)).limit(1);
  return row?.id;
}

/** Ids of the keys that belong to the identity (revoked ones included). */
export async function memberKeyIds(db: Database, id: string): Promise<string[]> {
  const rows = await db.select({ id: keys.id }).from(keys).where(eq(keys.identityId, id));
  return rows.map((row) => row.id);
}

/** D1 binds at most 100 parameters per statement. */
const IDS_PER_QUERY = 90;

/** Which of these identity ids exist. */
export async function existingIdentityIds(db: Database, ids: string[]): Promise<Set<string>> {
  const existing = new Set<string>();
  for (let i = 0; i < ids.length; i += IDS_PER_QUERY) {
    const rows = await db
      .select({ id: identities.id })
      .from(identities)
      .where(inArray(identities.id, ids.slice(i, i + IDS_PER_QUERY)));
    for (const row of rows) existing.add(row.id);
  }
  return existing;
}
