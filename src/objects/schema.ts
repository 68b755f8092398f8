// Drizzle's view of the Durable Objects' SQLite tables, one section per object class, matching
// exactly what the versioned steps create (ratelimit/object-schema.ts stays their one migration
// mechanism: drizzle's sqliteTable cannot say WITHOUT ROWID, so drizzle-kit could not regenerate them).
import { sql } from "drizzle-orm";
import { check, index, integer, primaryKey, real, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** The one-row tables' key: `id INTEGER PRIMARY KEY CHECK (id = 1)`. */
const singleRowId = () => integer("id").primaryKey();
const singleRow = (table: string) => check(`${table}_single_row`, sql`id = 1`);

// ---- Shared by KeyLimiter and ClientIpCounter: sliding windows (window-store.ts).

export const windows = sqliteTable("windows", {
  id: text("id").primaryKey(),
  windowMs: integer("window_ms").notNull(),
});

/** WITHOUT ROWID in SQLite. */
export const windowEntries = sqliteTable(
  "window_entries",
  {
    id: text("id").notNull(),
    endMs: real("end_ms").notNull(),
    startMs: real("start_ms").notNull(),
    count: real("count").notNull(),
  },
  (table) => [primaryKey({ columns: [table.id, table.endMs] })],
);

// ---- KeyLimiter (KEY_OBJECT_SCHEMA in ratelimit/key-limiter.ts).

export const keyStatus = sqliteTable("key_status", { id: singleRowId(), status: text("status").notNull() }, () => [
  singleRow("key_status"),
]);

export const quotaUsage = sqliteTable(
  "quota_usage",
  { id: singleRowId(), period: text("period").notNull(), periodStart: integer("period_start").notNull(), used: integer("used").notNull() },
  () => [singleRow("quota_usage")],
);

/** WITHOUT ROWID in SQLite. */
export const leases = sqliteTable(
  "leases",
  {
    isolateId: text("isolate_id").notNull(),
    leaseId: integer("lease_id").notNull(),
    limitIds: text("limit_ids").notNull(),
    units: integer("units").notNull(),
    endMs: real("end_ms").notNull(),
    forgetAt: real("forget_at").notNull(),
    quotaPeriodStart: integer("quota_period_start"),
    closed: integer("closed").notNull(),
  },
  (table) => [primaryKey({ columns: [table.isolateId, table.leaseId] })],
);

export const quotaAlerts = sqliteTable(
  "quota_alerts",
  {
    id: singleRowId(),
    keyId: text("key_id").notNull(),
    period: text("period").notNull(),
    periodStart: integer("period_start").notNull(),
    limitValue: integer("limit_value").notNull(),
    used: integer("used").notNull(),
    reached: integer("reached").notNull(),
    notified: integer("notified").notNull(),
  },
  () => [singleRow("quota_alerts")],
);

export const refusalAlerts = sqliteTable(
  "refusal_alerts",
  {
    id: singleRowId(),
    keyId: text("key_id").notNull(),
    lastRefusal: integer("last_refusal").notNull(),
    spellStart: integer("spell_start").notNull(),
    limitName: text("limit_name").notNull(),
    retryAfter: integer("retry_after").notNull(),
    notified: integer("notified").notNull(),
  },
  () => [singleRow("refusal_alerts")],
);

/** Hourly counts per key, route and outcome, `copied` 0 until in D1 (usage/hourly.ts). WITHOUT ROWID in SQLite. */
export const usageKeyHours = sqliteTable(
  "usage_key_hours",
  {
    keyId: text("key_id").notNull(),
    hour: integer("hour").notNull(),
    route: text("route").notNull(),
    allowed: integer("allowed").notNull().default(0),
    rateLimited: integer("rate_limited").notNull().default(0),
    quotaExceeded: integer("quota_exceeded").notNull().default(0),
    copied: integer("copied").notNull().default(0),
  },
  (table) => [primaryKey({ columns: [table.keyId, table.hour, table.route] })],
);

/** Each key's last use not yet copied to D1 (key-usage.ts). WITHOUT ROWID in SQLite. */
export const lastUse = sqliteTable("last_use", { keyId: text("key_id").primaryKey(), at: integer("at").notNull() });

/** WITHOUT ROWID in SQLite. */
export const memberStatus = sqliteTable("member_status", { keyId: text("key_id").primaryKey(), status: text("status").notNull() });

/** WITHOUT ROWID in SQLite. */
export const memberQuota = sqliteTable("member_quota", {
  keyId: text("key_id").primaryKey(),
  period: text("period").notNull(),
  periodStart: integer("period_start").notNull(),
  used: integer("used").notNull(),
});

export const identityStatus = sqliteTable("identity_status", { id: singleRowId(), status: text("status").notNull() }, () => [
  singleRow("identity_status"),
]);

/** When the object's storage may go (retirement.ts); no row while it must stay. */
export const retirement = sqliteTable("retirement", { id: singleRowId(), at: integer("at").notNull() }, () => [singleRow("retirement")]);

/** The D1 rows of the secrets decided here, as JSON by hash (key-records.ts); made on first use, not by a step. WITHOUT ROWID in SQLite. */
export const keyRecords = sqliteTable("key_records", { hash: text("hash").primaryKey(), rows: text("rows").notNull() });

// ---- WebhookOutbox (webhooks/outbox.ts).

export const deliveries = sqliteTable(
  "deliveries",
  {
    id: text("id").primaryKey(),
    type: text("type").notNull(),
    body: text("body").notNull(),
    status: text("status", { enum: ["pending", "delivered", "failed"] }).notNull(),
    queuedAt: integer("queued_at").notNull(),
    nextAt: integer("next_at"),
  },
  (table) => [index("deliveries_due").on(table.status, table.nextAt), index("deliveries_queued").on(table.queuedAt, table.id)],
);

export const deliveryAttempts = sqliteTable(
  "attempts",
  {
    deliveryId: text("delivery_id").notNull(),
    at: integer("at").notNull(),
    status: integer("status"),
    error: text("error"),
    durationMs: integer("duration_ms").notNull(),
  },
  (table) => [index("attempts_delivery").on(table.deliveryId, table.at)],
);

export const outbox = sqliteTable("outbox", { id: singleRowId(), webhookId: text("webhook_id").notNull() }, () => [singleRow("outbox")]);

// ---- BillingOutbox (billing/outbox.ts): its `attempts` table is not the webhook outbox's.

export const billingEvents = sqliteTable(
  "events",
  {
    id: text("id").primaryKey(),
    identityId: text("identity_id").notNull(),
    intervalStart: integer("interval_start").notNull(),
    body: text("body").notNull(),
    status: text("status", { enum: ["pending", "sent", "failed"] }).notNull(),
    queuedAt: integer("queued_at").notNull(),
    nextAt: integer("next_at"),
  },
  (table) => [index("events_due").on(table.status, table.nextAt)],
);

export const billingAttempts = sqliteTable(
  "attempts",
  {
    eventId: text("event_id").notNull(),
    at: integer("at").notNull(),
    status: integer("status"),
    error: text("error"),
    durationMs: integer("duration_ms").notNull(),
  },
  (table) => [index("attempts_event").on(table.eventId, table.at)],
);

export const exportState = sqliteTable("export_state", { id: singleRowId(), closedThrough: integer("closed_through").notNull() }, () => [
  singleRow("export_state"),
]);

export const skipped = sqliteTable("skipped", {
  identityId: text("identity_id").primaryKey(),
  intervalStart: integer("interval_start").notNull(),
  reason: text("reason").notNull(),
});
