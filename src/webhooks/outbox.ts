// WebhookOutbox: the Durable Object that queues one webhook's signed deliveries and sends them from
// its alarm with retries (docs/webhooks.md); its tables through drizzle (objects/schema.ts).
import { DurableObject } from "cloudflare:workers";
import { and, asc, count, desc, eq, gte, inArray, lt, lte, min, ne, or } from "drizzle-orm";
import { database } from "../db/client";
import type { Env } from "../env";
import { lazy } from "../lazy";
import { type ObjectDatabase, objectDatabase } from "../objects/database";
import { deliveries, deliveryAttempts, outbox } from "../objects/schema";
import { migrateSchema, type SchemaSteps } from "../ratelimit/object-schema";
import type { WebhookEvent } from "./events";
import { DEFAULT_RETRY_BASE_MS, nextAttemptAt } from "./retry";
import { getWebhookRow } from "./store";

// Signing (the Standard Webhooks library, with its own SHA-256 and base64) loads with the first delivery,
// not with every new isolate.
const signing = lazy(() => import("./signing"));

export type DeliveryStatus = typeof deliveries.$inferSelect.status;

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

type DeliveryRow = typeof deliveries.$inferSelect;

/**
 * One per webhook: its queue of signed deliveries. Every message is stored before the enqueue
 * call returns and sent by the object's alarm, never on a client's request path; a failed
 * attempt is retried with growing, jittered waits for 24 hours. State is the object's SQLite,
 * so a restart resumes the schedule where it stood. Deleting the webhook empties the object.
 */
export class WebhookOutbox extends DurableObject<Env> {
  private readonly db: ObjectDatabase;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    migrateSchema(ctx.storage, OUTBOX_SCHEMA);
    this.db = objectDatabase(ctx.storage);
  }

  /** Queues one message for the webhook; sent from the alarm at once. Idempotent per message id. */
  async enqueue(webhookId: string, id: string, event: WebhookEvent): Promise<void> {
    const now = Date.now();
    this.db.insert(outbox).values({ id: 1, webhookId }).onConflictDoUpdate({ target: outbox.id, set: { webhookId } }).run();
    this.db
      .insert(deliveries)
      .values({ id, type: event.type, body: JSON.stringify(event), status: "pending", queuedAt: now, nextAt: now })
      .onConflictDoNothing({ target: deliveries.id })
      .run();
    await this.scheduleAlarm();
  }

  /** Sends a delivered or failed message again, with a fresh 24-hour retry span and the same id. */
  async resend(id: string): Promise<Delivery | undefined> {
    const now = Date.now();
    this.db.update(deliveries).set({ status: "pending", queuedAt: now, nextAt: now }).where(eq(deliveries.id, id)).run();
    const delivery = this.get(id);
    if (delivery) await this.scheduleAlarm();
    return delivery;
  }

  /** Newest first, `limit` at a time. */
  list(limit: number, before?: { queuedAt: number; id: string }): DeliveryPage {
    const rows = this.db
      .select()
      .from(deliveries)
      .where(
        before
          ? or(lt(deliveries.queuedAt, before.queuedAt), and(eq(deliveries.queuedAt, before.queuedAt), lt(deliveries.id, before.id)))
          : undefined,
      )
      .orderBy(desc(deliveries.queuedAt), desc(deliveries.id))
      .limit(limit + 1)
      .all();
    const items = rows.slice(0, limit).map((row) => this.toDelivery(row));
    const last = items.at(-1);
    return { items, last: rows.length > limit && last ? { queuedAt: last.queuedAt, id: last.id } : undefined };
  }

  get(id: string): Delivery | undefined {
    const row = this.db.select().from(deliveries).where(eq(deliveries.id, id)).get();
    return row ? this.toDelivery(row) : undefined;
  }

  /** The webhook was deleted: nothing of it may be sent any more. */
  async purge(): Promise<void> {
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
  }

  override async alarm(): Promise<void> {
    const webhookId = this.db.select({ webhookId: outbox.webhookId }).from(outbox).get()?.webhookId;
    const webhook = webhookId ? await getWebhookRow(database(this.env.DB), webhookId) : undefined;
    if (!webhook) return this.purge();
    const now = Date.now();
    const expired = and(ne(deliveries.status, "pending"), lt(deliveries.queuedAt, now - HISTORY_MS));
    this.db
      .delete(deliveryAttempts)
      .where(inArray(deliveryAttempts.deliveryId, this.db.select({ id: deliveries.id }).from(deliveries).where(expired)))
      .run();
    this.db.delete(deliveries).where(expired).run();
    if (webhook.enabled) {
      const due = this.db
        .select()
        .from(deliveries)
        .where(and(eq(deliveries.status, "pending"), lte(deliveries.nextAt, now)))
        .orderBy(asc(deliveries.nextAt))
        .limit(ATTEMPTS_PER_RUN)
        .all();
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
    this.db
      .insert(deliveryAttempts)
      .values({ deliveryId: row.id, at: started, status, error, durationMs: now - started })
      .run();
    if (error === null) {
      this.db.update(deliveries).set({ status: "delivered", nextAt: null }).where(eq(deliveries.id, row.id)).run();
      return;
    }
    const failures =
      this.db
        .select({ n: count() })
        .from(deliveryAttempts)
        .where(and(eq(deliveryAttempts.deliveryId, row.id), gte(deliveryAttempts.at, row.queuedAt)))
        .get()?.n ?? 0;
    const next = nextAttemptAt(row.queuedAt, now, failures, this.retryBaseMs());
    this.db
      .update(deliveries)
      .set(next === null ? { status: "failed", nextAt: null } : { nextAt: next })
      .where(eq(deliveries.id, row.id))
      .run();
  }

  /** `WEBHOOK_RETRY_BASE_MS`, read here rather than through the config module, which would load zod with every new isolate. */
  private retryBaseMs(): number {
    const value = Number(this.env.WEBHOOK_RETRY_BASE_MS);
    return Number.isInteger(value) && value >= 1 && value <= 10_000 ? value : DEFAULT_RETRY_BASE_MS;
  }

  private async scheduleAlarm(): Promise<void> {
    const next = this.db
      .select({ at: min(deliveries.nextAt) })
      .from(deliveries)
      .where(eq(deliveries.status, "pending"))
      .get()?.at;
    if (next === null || next === undefined) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(next);
  }

  private toDelivery(row: DeliveryRow): Delivery {
    const attempts = this.db
      .select({
        at: deliveryAttempts.at,
        status: deliveryAttempts.status,
        error: deliveryAttempts.error,
        durationMs: deliveryAttempts.durationMs,
      })
      .from(deliveryAttempts)
      .where(eq(deliveryAttempts.deliveryId, row.id))
      .orderBy(asc(deliveryAttempts.at))
      .all();
    return {
      id: row.id,
      type: row.type as Delivery["type"],
      event: JSON.parse(row.body) as WebhookEvent,
      status: row.status,
      queuedAt: row.queuedAt,
      nextAttemptAt: row.nextAt,
      attempts,
    };
  }
}
