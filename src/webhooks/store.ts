// Webhook rows in D1: create, read, update, rotate the secret, delete, each with its audit entry.
import { asc, eq, gt, sql } from "drizzle-orm";
import type { Database } from "../db/client";
import { auditLog, type NewAuditRow, type WebhookRow, webhookNotices, webhooks } from "../db/schema";

export async function getWebhookRow(db: Database, id: string): Promise<WebhookRow | undefined> {
  const rows = await db.select().from(webhooks).where(eq(webhooks.id, id)).limit(1);
  return rows[0];
}

/** The webhook and its audit entry, in one batch. */
export async function insertWebhook(db: Database, row: WebhookRow, audit: NewAuditRow): Promise<void> {
  await db.batch([db.insert(webhooks).values(row), db.insert(auditLog).values(audit)]);
}

export type WebhookChanges = Partial<Pick<WebhookRow, "url" | "events" | "thresholds" | "enabled">>;

/** Applies the changes to an existing webhook, with its audit entry in the same batch. */
export async function updateWebhookRow(
  db: Database,
  id: string,
  changes: WebhookChanges,
  now: number,
  audit: NewAuditRow,
): Promise<WebhookRow | undefined> {
  const [rows] = await db.batch([
    db
      .update(webhooks)
      .set({ ...changes, updatedAt: now })
      .where(eq(webhooks.id, id))
      .returning(),
    db.insert(auditLog).values(audit),
  ]);
  return rows[0];
}

/**
 * Replaces the signing secret; the old one keeps signing beside it until `overlapUntil` (none for
 * `now` or earlier). With its audit entry in the same batch; undefined if there is no such webhook.
 */
export async function rotateWebhookSecret(
  db: Database,
  id: string,
  secret: string,
  overlapUntil: number,
  now: number,
  audit: NewAuditRow,
): Promise<WebhookRow | undefined> {
  const overlaps = overlapUntil > now;
  const [rows] = await db.batch([
    db
      .update(webhooks)
      .set({
        secret,
        previousSecret: overlaps ? sql`${webhooks.secret}` : null,
        previousSecretExpiresAt: overlaps ? overlapUntil : null,
        updatedAt: now,
      })
      .where(eq(webhooks.id, id))
      .returning(),
    db.insert(auditLog).values(audit),
  ]);
  return rows[0];
}

/** Deletes an existing webhook, with its audit entry in the same batch. */
export async function deleteWebhookRow(db: Database, id: string, audit: NewAuditRow): Promise<void> {
  await db.batch([db.delete(webhooks).where(eq(webhooks.id, id)), db.insert(auditLog).values(audit)]);
}

/** Webhooks in id order after `afterId`; one extra row says whether another page exists. */
export async function listWebhookRows(
  db: Database,
  query: { limit: number; afterId?: string },
): Promise<{ rows: WebhookRow[]; lastId: string | undefined }> {
  const rows = await db
    .select()
    .from(webhooks)
    .where(query.afterId ? gt(webhooks.id, query.afterId) : undefined)
    .orderBy(asc(webhooks.id))
    .limit(query.limit + 1);
  const page = rows.slice(0, query.limit);
  return { rows: page, lastId: rows.length > query.limit ? page.at(-1)?.id : undefined };
}

/** Enabled webhooks: a handful per gateway, so events are matched to them in memory. */
export async function enabledWebhooks(db: Database): Promise<WebhookRow[]> {
  return db.select().from(webhooks).where(eq(webhooks.enabled, true));
}

/** Records a scheduled notice; false if it was recorded before (it has been sent). */
export async function claimNotice(db: Database, id: string, at: number): Promise<boolean> {
  const rows = await db.insert(webhookNotices).values({ id, at }).onConflictDoNothing().returning({ id: webhookNotices.id });
  return rows.length > 0;
}

/** Forgets a notice whose event could not be queued, so the next run tries again. */
export async function releaseNotice(db: Database, id: string): Promise<void> {
  await db.delete(webhookNotices).where(eq(webhookNotices.id, id));
}
