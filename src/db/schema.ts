import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import type { RateLimitSpec } from "../config/schema";

export interface QuotaSpec {
  limit: number;
  period: "day" | "month" | "total";
}

/** One logical key: its identity, policy and lifecycle. Times are epoch milliseconds. */
export const keys = sqliteTable(
  "keys",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    owner: text("owner"),
    prefix: text("prefix").notNull(),
    scopes: text("scopes", { mode: "json" }).$type<string[]>().notNull(),
    rateLimits: text("rate_limits", { mode: "json" }).$type<RateLimitSpec[]>().notNull(),
    quota: text("quota", { mode: "json" }).$type<QuotaSpec | null>(),
    ipAllowlist: text("ip_allowlist", { mode: "json" }).$type<string[]>().notNull(),
    metadata: text("metadata", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    enabled: integer("enabled", { mode: "boolean" }).notNull(),
    expiresAt: integer("expires_at"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    revokedAt: integer("revoked_at"),
    lastUsedAt: integer("last_used_at"),
    /** Bumped on every admin write; the key's Durable Object keeps the newest version it has seen. */
    version: integer("version").notNull(),
  },
  (table) => [index("keys_owner_idx").on(table.owner, table.id)],
);

/** A key's secrets: only the SHA-256 of each is stored. Rotation adds one and expires the old. */
export const keySecrets = sqliteTable(
  "key_secrets",
  {
    id: text("id").primaryKey(),
    keyId: text("key_id")
      .notNull()
      .references(() => keys.id),
    hash: text("hash").notNull(),
    start: text("start").notNull(),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at"),
  },
  (table) => [uniqueIndex("key_secrets_hash_idx").on(table.hash), index("key_secrets_key_idx").on(table.keyId)],
);

export type KeyRow = typeof keys.$inferSelect;
export type KeySecretRow = typeof keySecrets.$inferSelect;

export type AuditAction = "key.create" | "key.update" | "key.revoke" | "key.rotate";

/**
 * Every admin write, inserted in the same D1 batch as the write itself so neither exists
 * without the other. `changes` holds changed field names and their new, non-secret values.
 */
export const auditLog = sqliteTable(
  "audit_log",
  {
    /** Insertion order: the list's cursor. */
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    at: integer("at").notNull(),
    action: text("action").$type<AuditAction>().notNull(),
    keyId: text("key_id").notNull(),
    changes: text("changes", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
  },
  (table) => [index("audit_log_key_idx").on(table.keyId, table.seq)],
);

export type AuditRow = typeof auditLog.$inferSelect;
export type NewAuditRow = typeof auditLog.$inferInsert;

export const WEBHOOK_EVENTS = ["quota.threshold", "key.rate_limited", "key.expiring", "key.revoked", "key.rotated"] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENTS)[number];

/** An operator's webhook endpoint. `secret` signs deliveries; it is shown once, at creation. */
export const webhooks = sqliteTable("webhooks", {
  id: text("id").primaryKey(),
  url: text("url").notNull(),
  events: text("events", { mode: "json" }).$type<WebhookEventType[]>().notNull(),
  /** Quota percentages that fire `quota.threshold`. */
  thresholds: text("thresholds", { mode: "json" }).$type<number[]>().notNull(),
  secret: text("secret").notNull(),
  enabled: integer("enabled", { mode: "boolean" }).notNull(),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

export type WebhookRow = typeof webhooks.$inferSelect;

/** Scheduled notices already queued (e.g. "key X expires in 7 days"), so each is sent once. */
export const webhookNotices = sqliteTable("webhook_notices", {
  id: text("id").primaryKey(),
  at: integer("at").notNull(),
});
