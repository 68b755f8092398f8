import { DurableObject } from "cloudflare:workers";
import { database } from "../db/client";
import type { Env } from "../env";
import { lazy } from "../lazy";
import { migrateSchema, type SchemaSteps } from "../ratelimit/object-schema";
import type { WebhookEvent } from "./events";
import { DEFAULT_RETRY_BASE_MS, nextAttemptAt } from "./retry";
import { getWebhookRow } from "./store";

// Signing (the Standard Webhooks library, with its own SHA-256 and base64) loads with the first delivery,
// not with every new isolate.
const signing = lazy(() => import("./signing"));

export type DeliveryStatus = "pending" | "delivered" | "failed";

export interface DeliveryAttempt {
  at: number;
  /** The receiver's HTTP status; null when no answer came (network error or timeout). */
  status: number | null;
  error: string | null;
  durationMs: number;
}

export interface Delivery {
  /** The `webhook-id` every attempt of this message carries: receivers deduplicate on it. */
  id: string;
  type: WebhookEvent["type"];
  /** The message as sent: `{type, timestamp, data}`. */
  event: WebhookEvent;
  status: DeliveryStatus;
  queuedAt: number;
  nextAttemptAt: number | null;
  attempts: DeliveryAttempt[];
}

export interface DeliveryPage {
  items: Delivery[];
  /** Queue time and id of the last item when more may follow (newest first). */
  last: { queuedAt: number; id: string } | undefined;
}

/** The outbox's schema, oldest step first (see ratelimit/object-schema.ts). */
const OUTBOX_SCHEMA: SchemaSteps = [
  `CREATE TABLE deliveries (id TEXT PRIMARY KEY, type TEXT NOT NULL, body TEXT NOT NULL, status TEXT NOT NULL, queued_at INTEGER NOT NULL, next_at INTEGER);
   CREATE INDEX deliveries_due ON deliveries (status, next_at);
   CREATE INDEX deliveries_queued ON deliveries (queued_at, id);
   CREATE TABLE attempts (delivery_id TEXT NOT NULL, at INTEGER NOT NULL, status INTEGER, error TEXT, duration_ms INTEGER NOT NULL);
   CREATE INDEX attempts_delivery ON attempts (delivery_id, at);
   CREATE TABLE outbox (id INTEGER PRIMARY KEY CHECK (id = 1), webhook_id TEXT NOT NULL);`,
];

/** A receiver gets this long to answer an attempt. */
const ATTEMPT_TIMEOUT_MS = 10_000;
/** Attempts made in one alarm run; the rest wait for the next run, moments later. */
const ATTEMPTS_PER_RUN = 25;
/** Delivered and failed messages are kept this long for `GET …/deliveries`. */
const HISTORY_MS = 30 * 24 * 3_600_000;

interface DeliveryRow {
  id: string;
  type: string;
  body: string;
  status: string;
  queued_at: number;
  next_at: number | null;
  [column: string]: SqlStorageValue;
}

/**
 * One per webhook: its queue of signed deliveries. Every message is stored before the enqueue
 * call returns and sent by the object's alarm, never on a client's request path; a failed
 * attempt is retried with growing, jittered waits for 24 hours. State is the object's SQLite,
 * so a restart resumes the schedule where it stood. Deleting the webhook empties the object.
 */
export class WebhookOutbox extends DurableObject<Env> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    migrateSchema(ctx.storage, OUTBOX_SCHEMA);
  }

  /** Queues one message for the webhook; sent from the alarm at once. Idempotent per message id. */
  async enqueue(webhookId: string, id: string, event: WebhookEvent): Promise<void> {
    const now = Date.now();
    this.sql.exec("INSERT OR REPLACE INTO outbox (id, webhook_id) VALUES (1, ?)", webhookId);
    this.sql.exec(
      "INSERT INTO deliveries (id, type, body, status, queued_at, next_at) VALUES (?, ?, ?, 'pending', ?, ?) ON CONFLICT (id) DO NOTHING",
      id,
      event.type,
      JSON.stringify(event),
      now,
      now,
    );
    await this.scheduleAlarm();
  }

  /** Sends a delivered or failed message again, with a fresh 24-hour retry span and the same id. */
  async resend(id: string): Promise<Delivery | undefined> {
    const now = Date.now();
    this.sql.exec("UPDATE deliveries SET status = 'pending', queued_at = ?, next_at = ? WHERE id = ?", now, now, id);
    const delivery = this.get(id);
    if (delivery) await this.scheduleAlarm();
    return delivery;
  }

  /** Newest first, `limit` at a time. */
  list(limit: number, before?: { queuedAt: number; id: string }): DeliveryPage {
    const rows = before
      ? this.sql
          .exec<DeliveryRow>(
            "SELECT * FROM deliveries WHERE queued_at < ? OR (queued_at = ? AND id < ?) ORDER BY queued_at DESC, id DESC LIMIT ?",
            before.queuedAt,
            before.queuedAt,
            before.id,
            limit + 1,
          )
          .toArray()
      : this.sql.exec<DeliveryRow>("SELECT * FROM deliveries ORDER BY queued_at DESC, id DESC LIMIT ?", limit + 1).toArray();
    const items = rows.slice(0, limit).map((row) => this.toDelivery(row));
    const last = items.at(-1);
    return { items, last: rows.length > limit && last ? { queuedAt: last.queuedAt, id: last.id } : undefined };
  }

  get(id: string): Delivery | undefined {
    const row = this.sql.exec<DeliveryRow>("SELECT * FROM deliveries WHERE id = ?", id).toArray()[0];
    return row ? this.toDelivery(row) : undefined;
  }

  /** The webhook was deleted: nothing of it may be sent any more. */
  async purge(): Promise<void> {
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
  }

  override async alarm(): Promise<void> {
    const webhookId = this.sql.exec<{ webhook_id: string }>("SELECT webhook_id FROM outbox").toArray()[0]?.webhook_id;
    const webhook = webhookId ? await getWebhookRow(database(this.env.DB), webhookId) : undefined;
    if (!webhook) return this.purge();
    const now = Date.now();
    this.sql.exec(
      "DELETE FROM attempts WHERE delivery_id IN (SELECT id FROM deliveries WHERE status != 'pending' AND queued_at < ?)",
      now - HISTORY_MS,
    );
    this.sql.exec("DELETE FROM deliveries WHERE status != 'pending' AND queued_at < ?", now - HISTORY_MS);
    if (webhook.enabled) {
      const due = this.sql
        .exec<DeliveryRow>(
          "SELECT * FROM deliveries WHERE status = 'pending' AND next_at <= ? ORDER BY next_at LIMIT ?",
          now,
          ATTEMPTS_PER_RUN,
        )
        .toArray();
      const { signingSecrets } = await signing();
      for (const row of due) await this.attempt(row, webhook.url, signingSecrets(webhook, Date.now()));
    }
    await this.scheduleAlarm();
  }

  private async attempt(row: DeliveryRow, url: string, secrets: string[]): Promise<void> {
    const started = Date.now();
    let status: number | null = null;
    let error: string | null = null;
    try {
      const { signedHeaders } = await signing();
      const response = await fetch(url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "user-agent": "edge-api-gateway-webhooks",
          ...signedHeaders(secrets, row.id, new Date(started), row.body),
        },
        body: row.body,
        redirect: "manual",
        signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS),
      });
      status = response.status;
      await response.body?.cancel();
      if (status < 200 || status > 299) error = `HTTP ${status}`;
    } catch (cause) {
      error = cause instanceof Error && cause.name === "TimeoutError" ? "timeout" : "connection failed";
    }
    const now = Date.now();
    this.sql.exec(
      "INSERT INTO attempts (delivery_id, at, status, error, duration_ms) VALUES (?, ?, ?, ?, ?)",
      row.id,
      started,
      status,
      error,
      now - started,
    );
    if (error === null) {
      this.sql.exec("UPDATE deliveries SET status = 'delivered', next_at = NULL WHERE id = ?", row.id);
      return;
    }
    const failures = this.sql
      .exec<{ n: number }>("SELECT count(*) AS n FROM attempts WHERE delivery_id = ? AND at >= ?", row.id, row.queued_at)
      .one().n;
    const next = nextAttemptAt(row.queued_at, now, failures, this.retryBaseMs());
    if (next === null) this.sql.exec("UPDATE deliveries SET status = 'failed', next_at = NULL WHERE id = ?", row.id);
    else this.sql.exec("UPDATE deliveries SET next_at = ? WHERE id = ?", next, row.id);
  }

  /** `WEBHOOK_RETRY_BASE_MS`, read here rather than through the config module, which would load zod with every new isolate. */
  private retryBaseMs(): number {
    const value = Number(this.env.WEBHOOK_RETRY_BASE_MS);
    return Number.isInteger(value) && value >= 1 && value <= 10_000 ? value : DEFAULT_RETRY_BASE_MS;
  }

  private async scheduleAlarm(): Promise<void> {
    const next = this.sql.exec<{ at: number | null }>("SELECT min(next_at) AS at FROM deliveries WHERE status = 'pending'").one().at;
    if (next === null) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(next);
  }

  private toDelivery(row: DeliveryRow): Delivery {
    const attempts = this.sql
      .exec<{ at: number; status: number | null; error: string | null; duration_ms: number }>(
        "SELECT at, status, error, duration_ms FROM attempts WHERE delivery_id = ? ORDER BY at",
        row.id,
      )
      .toArray()
      .map((a) => ({ at: a.at, status: a.status, error: a.error, durationMs: a.duration_ms }));
    return {
      id: row.id,
      type: row.type as Delivery["type"],
      event: JSON.parse(row.body) as WebhookEvent,
      status: row.status as DeliveryStatus,
      queuedAt: row.queued_at,
      nextAttemptAt: row.next_at,
      attempts,
    };
  }
}
