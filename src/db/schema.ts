import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import type { AuditAction } from "../admin/audit";
import type { RateLimitSpec } from "../config/schema";
import type { QuotaSpec } from "../keys/quota";

export type { QuotaSpec };

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
