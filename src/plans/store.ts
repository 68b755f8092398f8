/**
 * Plans in D1 (docs/plans.md): named tiers whose limits and quota their identities inherit. A write
 * to a plan bumps the version of each identity on it in the same batch, so their objects take the
 * new effective limits over any older status an isolate still presents.
 */
import { and, asc, count, eq, gt, sql } from "drizzle-orm";
import type { Database } from "../db/client";
import { auditLog, type IdentityRow, identities, keys, type NewAuditRow, type PlanRow, plans } from "../db/schema";
import { isUniqueViolation } from "../identities/store";

export type { PlanRow };

export async function getPlanRow(db: Database, id: string): Promise<PlanRow | undefined> {
  const rows = await db.select().from(plans).where(eq(plans.id, id)).limit(1);
  return rows[0];
}

export async function findPlanByName(db: Database, name: string): Promise<PlanRow | undefined> {
  const rows = await db.select().from(plans).where(eq(plans.name, name)).limit(1);
  return rows[0];
}

/** The plan and its audit entry, in one batch; false when its name is taken. */
export async function insertPlan(db: Database, row: PlanRow, audit: NewAuditRow): Promise<boolean> {
  try {
    await db.batch([db.insert(plans).values(row), db.insert(auditLog).values(audit)]);
    return true;
  } catch (error) {
    if (isUniqueViolation(error)) return false;
    throw error;
  }
}

/** Plans in id order after `afterId`; one extra row says whether another page exists. */
export async function listPlanRows(
  db: Database,
  query: { limit: number; afterId?: string },
): Promise<{ rows: PlanRow[]; lastId: string | undefined }> {
  const rows = await db
    .select()
    .from(plans)
    .where(query.afterId ? gt(plans.id, query.afterId) : undefined)
    .orderBy(asc(plans.id))
    .limit(query.limit + 1);
  const page = rows.slice(0, query.limit);
  return { rows: page, lastId: rows.length > query.limit ? page.at(-1)?.id : undefined };
}

export type PlanChanges = Partial<Pick<PlanRow, "name" | "rateLimits" | "quota" | "allowedScopes" | "maxKeys">>;

/** Whether a change alters what the identities' objects enforce (and so must reach them). */
export const changesLimits = (changes: PlanChanges) => "rateLimits" in changes || "quota" in changes;

/**
 * Applies the changes with the audit entry in one batch; when they touch limits or quota, the
 * identities on the plan get a new version in the same batch and are returned, as they are now,
 * to be told. Undefined when the plan is gone; throws D1's unique violation on a taken name.
 */
export async function updatePlanRow(
  db: Database,
  id: string,
  changes: PlanChanges,
  now: number,
  audit: NewAuditRow,
): Promise<{ plan: PlanRow; members: IdentityRow[] } | undefined> {
  const update = db
    .update(plans)
    .set({ ...changes, updatedAt: now })
    .where(eq(plans.id, id))
    .returning();
  const log = db.insert(auditLog).values(audit);
  if (!changesLimits(changes)) {
    const [updated] = await db.batch([update, log]);
    return updated[0] && { plan: updated[0], members: [] };
  }
  const [updated, , members] = await db.batch([
    update,
    log,
    db
      .update(identities)
      .set({ version: sql`${identities.version} + 1` })
      .where(eq(identities.planId, id))
      .returning(),
  ]);
  return updated[0] && { plan: updated[0], members };
}

/** How many identities are on the plan. */
export async function planMemberCount(db: Database, id: string): Promise<number> {
  const [row] = await db.select({ n: count() }).from(identities).where(eq(identities.planId, id));
  return row?.n ?? 0;
}

/**
 * Deletes the plan unless an identity is on it (checked in the same statement); the audit entry is
 * written only if it was deleted, in the same batch.
 */
export async function deletePlanRow(db: Database, id: string, audit: NewAuditRow): Promise<boolean> {
  const gone = sql`NOT EXISTS (SELECT 1 FROM ${plans} WHERE ${plans.id} = ${id})`;
  const [deleted] = await db.batch([
    db
      .delete(plans)
      .where(and(eq(plans.id, id), sql`NOT EXISTS (SELECT 1 FROM ${identities} WHERE ${identities.planId} = ${id})`))
      .returning({ id: plans.id }),
    // Columns in the table's order: seq (assigned), at, action, key_id, actor, changes.
    db
      .insert(auditLog)
      .select(
        sql`SELECT NULL, ${audit.at}, ${audit.action}, ${audit.keyId ?? null}, ${audit.actor}, ${JSON.stringify(audit.changes)} WHERE ${gone}`,
      ),
  ]);
  return deleted.length > 0;
}

/** The identities on the plan, as they are now. */
export async function planMembers(db: Database, id: string): Promise<IdentityRow[]> {
  return db.select().from(identities).where(eq(identities.planId, id));
}

/** Ids of the keys of the identities on the plan (revoked ones included). */
export async function planMemberKeyIds(db: Database, id: string): Promise<string[]> {
  const rows = await db
    .select({ id: keys.id })
    .from(keys)
    .innerJoin(identities, eq(keys.identityId, identities.id))
    .where(eq(identities.planId, id));
  return rows.map((row) => row.id);
}
