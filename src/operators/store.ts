// Operator tokens in D1 (docs/operators.md): lookup by hash, paged list, and create and revoke with their audit entry
// in the same batch.
import { and, asc, eq, gt, isNull } from "drizzle-orm";
import type { Database } from "../db/client";
import { auditLog, type NewAuditRow, type OperatorRow, operators } from "../db/schema";

/** One D1 query: the operator token with this hash, revoked or not. */
export async function findOperatorByHash(db: Database, hash: string): Promise<OperatorRow | undefined> {
  const rows = await db.select().from(operators).where(eq(operators.hash, hash)).limit(1);
  return rows[0];
}

export async function getOperatorRow(db: Database, id: string): Promise<OperatorRow | undefined> {
  const rows = await db.select().from(operators).where(eq(operators.id, id)).limit(1);
  return rows[0];
}

export async function insertOperator(db: Database, row: OperatorRow, audit: NewAuditRow): Promise<void> {
  await db.batch([db.insert(operators).values(row), db.insert(auditLog).values(audit)]);
}

/** Operator tokens in id order after `afterId`; `lastId` is set when more may follow. */
export async function listOperatorRows(
  db: Database,
  query: { limit: number; afterId?: string },
): Promise<{ rows: OperatorRow[]; lastId: string | undefined }> {
  // One extra row says whether another page exists.
  const rows = await db
    .select()
    .from(operators)
    .where(query.afterId ? gt(operators.id, query.afterId) : undefined)
    .orderBy(asc(operators.id))
    .limit(query.limit + 1);
  const page = rows.slice(0, query.limit);
  return { rows: page, lastId: rows.length > query.limit ? page.at(-1)?.id : undefined };
}

/** Marks the token revoked (the row stays) with its audit entry; an already revoked token is left as it is. */
export async function revokeOperatorRow(db: Database, current: OperatorRow, now: number, audit: NewAuditRow): Promise<OperatorRow> {
  if (current.revokedAt !== null) return current;
  const [updated] = await db.batch([
    db
      .update(operators)
      .set({ revokedAt: now })
      .where(and(eq(operators.id, current.id), isNull(operators.revokedAt)))
      .returning(),
    db.insert(auditLog).values(audit),
  ]);
  return updated[0] ?? (await getOperatorRow(db, current.id)) ?? current;
}
