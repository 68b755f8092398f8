// The D1 schema (drizzle): keys and their secrets, identities, plans, operators, the audit log, usage
// rollups (by key, and 401s by route), webhooks, import prefixes, portal sessions. Migrations come from it.
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import type { AuditAction } from "../admin/audit";
import type { RateLimitSpec, RouteRateLimits } from "../config/schema";
import type { QuotaSpec } from "../keys/quota";
import type { OperatorScope } from "../operators/scopes";

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
    /** Per route path as configured: limits replacing the route's of the same name (docs/rate-limits.md). */
    routeRateLimits: text("route_rate_limits", { mode: "json" }).$type<RouteRateLimits>().notNull().default({}),
    enabled: integer("enabled", { mode: "boolean" }).notNull(),
    expiresAt: integer("expires_at"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    revokedAt: integer("revoked_at"),
    lastUsedAt: integer("last_used_at"),
    /** Bumped on every admin write; the key's Durable Object keeps the newest version it has seen. */
    version: integer("version").notNull(),
    /** The identity whose limits the key shares (docs/identities.md); null for a key on its own. */
    identityId: text("identity_id"),
  },
  (table) => [index("keys_owner_idx").on(table.owner, table.id), index("keys_identity_idx").on(table.identityId, table.id)],
);

/** A customer of the API owner: its limits and quota are shared by all its keys (docs/identities.md). */
export const identities = sqliteTable(
  "identities",
  {
    id: text("id").primaryKey(),
    /** The operator's own id for the customer; unique. */
    externalId: text("external_id").notNull(),
    name: text("name"),
    metadata: text("metadata", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    enabled: integer("enabled", { mode: "boolean" }).notNull(),
    rateLimits: text("rate_limits", { mode: "json" }).$type<RateLimitSpec[]>().notNull(),
    quota: text("quota", { mode: "json" }).$type<QuotaSpec | null>(),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    /** Bumped on every admin write (to it or to its plan); the identity's Durable Object keeps the newest version it has seen. */
    version: integer("version").notNull(),
    /** The plan whose limits and quota apply where the identity sets none of its own (docs/plans.md); null for none. */
    planId: text("plan_id"),
  },
  (table) => [uniqueIndex("identities_external_id_idx").on(table.externalId), index("identities_plan_idx").on(table.planId, table.id)],
);

export type IdentityRow = typeof identities.$inferSelect;

/** A named tier: limits and quota its identities inherit, and what the customers' portal lets them do (docs/plans.md). */
export const plans = sqliteTable(
  "plans",
  {
    id: text("id").primaryKey(),
    /** Unique among plans. */
    name: text("name").notNull(),
    rateLimits: text("rate_limits", { mode: "json" }).$type<RateLimitSpec[]>().notNull(),
    quota: text("quota", { mode: "json" }).$type<QuotaSpec | null>(),
    /** Scopes a customer may give the keys they create in the portal; null: any. */
    allowedScopes: text("allowed_scopes", { mode: "json" }).$type<string[] | null>(),
    /** Live (not revoked) keys a customer may hold; null: no limit. */
    maxKeys: integer("max_keys"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (table) => [uniqueIndex("plans_name_idx").on(table.name)],
);

export type PlanRow = typeof plans.$inferSelect;

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
 * Key shapes registered by imports (docs/keys.md § Import): a presented key of neither the
 * gateway's format nor one of these is refused without a lookup. Imports register no "" any more; an
 * older registration of "" (keys without a prefix) is listed and removed like any other.
 */
export const importPrefixes = sqliteTable("import_prefixes", {
  prefix: text("prefix").primaryKey(),
  createdAt: integer("created_at").notNull(),
});

/** Who made an admin write: `admin` for ADMIN_TOKEN, else the operator token's id. */
export const ADMIN_ACTOR = "admin";

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
    /** The key written; null for writes to operator tokens. */
    keyId: text("key_id"),
    actor: text("actor").notNull(),
    changes: text("changes", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
  },
  (table) => [index("audit_log_key_idx").on(table.keyId, table.seq), index("audit_log_actor_idx").on(table.actor, table.seq)],
);

export type AuditRow = typeof auditLog.$inferSelect;
export type NewAuditRow = typeof auditLog.$inferInsert;

/** Named admin tokens with scopes: only the SHA-256 of each token is stored. Revoked rows are kept. */
export const operators = sqliteTable(
  "operators",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    scopes: text("scopes", { mode: "json" }).$type<OperatorScope[]>().notNull(),
    hash: text("hash").notNull(),
    /** Prefix and first 4 body characters of the token: safe to display. */
    start: text("start").notNull(),
    createdAt: integer("created_at").notNull(),
    revokedAt: integer("revoked_at"),
  },
  (table) => [uniqueIndex("operators_hash_idx").on(table.hash)],
);

export type OperatorRow = typeof operators.$inferSelect;

/**
 * Hourly request counts per key, route and outcome, copied from each key's Durable Object by its
 * alarm (never on the request path). A copy overwrites the row with the object's running totals,
 * so a repeated copy is harmless. `hour` is the epoch ms of the hour's start (UTC).
 */
export const usageRollups = sqliteTable(
  "usage_rollups",
  {
    keyId: text("key_id").notNull(),
    /** The route's configured `path`; `unknown` for counts made before routes were recorded. */
    route: text("route").notNull(),
    hour: integer("hour").notNull(),
    allowed: integer("allowed").notNull(),
    rateLimited: integer("rate_limited").notNull(),
    quotaExceeded: integer("quota_exceeded").notNull(),
  },
  (table) => [primaryKey({ columns: [table.keyId, table.route, table.hour] }), index("usage_rollups_hour_idx").on(table.hour)],
);

/**
 * Requests refused with 401 (no key, or one that is unknown, expired, revoked or disabled) per route
 * and hour: counted by no key, so never in `usage_rollups`; added up by each isolate (src/usage/unauthorized.ts).
 */
export const unauthorizedRollups = sqliteTable(
  "unauthorized_rollups",
  {
    route: text("route").notNull(),
    hour: integer("hour").notNull(),
    requests: integer("requests").notNull(),
  },
  (table) => [primaryKey({ columns: [table.route, table.hour] }), index("unauthorized_rollups_hour_idx").on(table.hour)],
);

export const WEBHOOK_EVENTS = ["quota.threshold", "key.rate_limited", "key.expiring", "key.revoked", "key.rotated", "key.leaked"] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENTS)[number];

/** An operator's webhook endpoint. `secret` signs deliveries; it is shown once, at creation. */
export const webhooks = sqliteTable("webhooks", {
  id: text("id").primaryKey(),
  url: text("url").notNull(),
  events: text("events", { mode: "json" }).$type<WebhookEventType[]>().notNull(),
  /** Quota percentages that fire `quota.threshold`. */
  thresholds: text("thresholds", { mode: "json" }).$type<number[]>().notNull(),
  secret: text("secret").notNull(),
  /** The secret a rotation replaced: it still signs deliveries, beside `secret`, until `previousSecretExpiresAt`. */
  previousSecret: text("previous_secret"),
  previousSecretExpiresAt: integer("previous_secret_expires_at"),
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

/**
 * Customers' portal sessions (docs/portal.md): the cookie holds a random token, only its SHA-256 is
 * stored, so logout and expiry end a session for good. The customer's claims are copied at sign-in.
 */
export const portalSessions = sqliteTable(
  "portal_sessions",
  {
    /** SHA-256 (hex) of the session cookie's token. */
    idHash: text("id_hash").primaryKey(),
    identityId: text("identity_id").notNull(),
    /** The provider's `sub`: the identity's `externalId`. */
    subject: text("subject").notNull(),
    email: text("email"),
    name: text("name"),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
  },
  (table) => [index("portal_sessions_expires_idx").on(table.expiresAt)],
);

export type PortalSessionRow = typeof portalSessions.$inferSelect;
