// ClientIpCounter: sliding windows for one client IP (anonymous traffic, failed admin logins, failed
// key lookups), holding storage only while a window holds something.
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { objectTimeoutMs } from "../objects/bounded-call";
import type { ClientIpCounterName } from "../objects/names";
import { DurableLimiterClient } from "./client";
import type { CountInput, LimitRequest, PolicyState } from "./decision";

/** A reservation's answer: refused while what is counted and what is reserved fill the limit. */
export interface Reservation {
  allowed: boolean;
  /** Seconds until a unit comes back, when refused. */
  retryAfter: number;
}

import { migrateSchema, type SchemaSteps, schemaVersion } from "./object-schema";
import { isLegacyClientIpObject } from "./retirement";
import { type WindowDecision, WindowStore } from "./window-store";

/** The counter's schema, oldest step first (see object-schema.ts). */
export const CLIENT_IP_COUNTER_SCHEMA: SchemaSteps = [
  `CREATE TABLE windows (id TEXT PRIMARY KEY, window_ms INTEGER NOT NULL);
CREATE TABLE window_entries (id TEXT NOT NULL, end_ms REAL NOT NULL, start_ms REAL NOT NULL, count REAL NOT NULL, PRIMARY KEY (id, end_ms)) WITHOUT ROWID;`,
];

/**
 * Sliding windows for one client IP: anonymous traffic on limited routes (`ip:<address>`) and
 * failed admin logins (`admin-ip:<address>`). Clients choose these names, so the object holds
 * nothing else, writes nothing until it admits something, and deletes all its storage (by
 * alarm) once every window is empty.
 */
export class ClientIpCounter extends DurableObject<Env> {
  private readonly windows: WindowStore;
  /** Whether the schema exists: not before the first admission, nor after the storage is deleted. */
  private hasStorage: boolean;
  private alarmSet = false;
  /** Units reserved by attempts being judged, per limit id. */
  private readonly reserved = new Map<string, number>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.windows = new WindowStore(ctx.storage.sql);
    this.hasStorage = schemaVersion(ctx.storage.sql) > 0;
    if (this.hasStorage) {
      migrateSchema(ctx.storage, CLIENT_IP_COUNTER_SCHEMA);
      this.windows.load();
    }
  }

  /** Decides all limits at once; a refusal consumes (and writes) nothing. */
  check(input: CountInput): WindowDecision {
    if (!this.hasStorage) {
      migrateSchema(this.ctx.storage, CLIENT_IP_COUNTER_SCHEMA);
      this.hasStorage = true;
      this.retireLegacyObject();
    }
    const now = Date.now();
    if (!this.alarmSet) {
      // Later admissions only extend the windows: the alarm looks again when it fires.
      this.alarmSet = true;
      void this.ctx.storage.setAlarm(now + Math.max(0, ...input.limits.map((limit) => limit.window * 1000)));
    }
    return this.windows.decide(input.limits, input.cost, now);
  }

  /**
   * Reserves one unit of `limit` for an attempt about to be judged (an admin token): concurrent
   * attempts cannot all be judged before any is counted. `settle` then counts it or gives it back.
   * Reservations live in memory only: a restart drops them, and their attempts go uncounted.
   */
  reserve(limit: LimitRequest): Reservation {
    const [state] = this.windows.peek([limit], Date.now());
    const pending = this.reserved.get(limit.id) ?? 0;
    const retryAfter = Math.max(1, state?.reset ?? limit.window);
    if (!state || state.remaining - pending < 1) return { allowed: false, retryAfter };
    this.reserved.set(limit.id, pending + 1);
    return { allowed: true, retryAfter };
  }

  /** Ends a reservation: a failed attempt is counted, a successful one gives its unit back. */
  settle(limit: LimitRequest, failed: boolean): void {
    const pending = (this.reserved.get(limit.id) ?? 1) - 1;
    if (pending > 0) this.reserved.set(limit.id, pending);
    else this.reserved.delete(limit.id);
    if (failed) this.check({ limits: [limit], cost: 1 });
  }

  /** Current remaining (less what is reserved) and reset for each limit, consuming and writing nothing. */
  peek(limits: LimitRequest[]): PolicyState[] {
    // Units reserved by attempts still being judged are as good as spent.
    return this.windows
      .peek(limits, Date.now())
      .map((state, i) => ({ ...state, remaining: Math.max(0, state.remaining - (this.reserved.get(limits[i]!.id) ?? 0)) }));
  }

  /**
   * Earlier versions counted this client in a KEY_LIMITER object of the same name, which nothing
   * reaches any more: it is told to delete its storage, off the request path, when counting starts.
   */
  private retireLegacyObject(): void {
    const name = this.ctx.id.name;
    if (!isLegacyClientIpObject(name)) return;
    const limiter = new DurableLimiterClient(this.env, objectTimeoutMs(this.env));
    this.ctx.waitUntil(
      limiter
        .retireLegacy(name as ClientIpCounterName)
        .catch((error: unknown) => console.warn(`legacy object ${name} not retired: ${String(error)}`)),
    );
  }

  /** Drops what left its window; once nothing is left, the object's storage goes with it. */
  override async alarm(): Promise<void> {
    const lastExpiry = this.windows.sweep(Date.now());
    if (lastExpiry !== undefined) {
      await this.ctx.storage.setAlarm(lastExpiry);
      return;
    }
    this.windows.clear();
    this.hasStorage = false;
    this.alarmSet = false;
    await this.ctx.storage.deleteAll();
  }
}
