// The Durable Object class bound as KEY_LIMITER: one per key (`key:<id>`) or per identity
// (`identity:<id>`). A thin shell: it routes each RPC to the decider (decider.ts) with what the
// object decides for (key-subject.ts, identity-subject.ts), and its alarm copies usage and sends alerts.
import { DurableObject } from "cloudflare:workers";
import { database } from "../db/client";
import type { Env } from "../env";
import { cachedKeyCheck, type IdentityStatus, type KeyStatus } from "../keys/record";
import { USAGE_BY_KEY_STEP, USAGE_BY_ROUTE_STEP, type UsageBucket } from "../usage/hourly";
import { KEY_ALERTS_SCHEMA, KeyAlerts } from "../webhooks/key-alerts";
import { Decider } from "./decider";
import type { CheckInput, InspectInput, KeyCheck, KeyInspection, LimitDecision, LimitRequest, PolicyState, RenewInput } from "./decision";
import { IdentitySubject } from "./identity-subject";
import { KeyRecords, type ResolveAnswer, type ResolveInput, resolveKey } from "./key-records";
import { KeySubject } from "./key-subject";
import { KeyUsage } from "./key-usage";
import { LeaseStore } from "./lease-store";
import { ObjectAlarm } from "./object-alarm";
import { migrateSchema, type SchemaSteps } from "./object-schema";
import type { DecisionSubject } from "./subject";
import { WindowStore } from "./window-store";

export { LAST_USED_FLUSH_MS } from "./object-alarm";

/** The key object's schema, oldest step first (see object-schema.ts). */
export const KEY_OBJECT_SCHEMA: SchemaSteps = [
  // 1: the tables objects had before the schema was versioned, so those objects upgrade in place.
  `CREATE TABLE IF NOT EXISTS windows (id TEXT PRIMARY KEY, window_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS window_entries (id TEXT NOT NULL, end_ms REAL NOT NULL, start_ms REAL NOT NULL, count REAL NOT NULL, PRIMARY KEY (id, end_ms)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS key_status (id INTEGER PRIMARY KEY CHECK (id = 1), status TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS quota_usage (id INTEGER PRIMARY KEY CHECK (id = 1), period TEXT NOT NULL, period_start INTEGER NOT NULL, used INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS usage_hours (hour INTEGER PRIMARY KEY, allowed INTEGER NOT NULL DEFAULT 0, rate_limited INTEGER NOT NULL DEFAULT 0, quota_exceeded INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS last_used (id INTEGER PRIMARY KEY CHECK (id = 1), key_id TEXT NOT NULL, at INTEGER NOT NULL);`,
  // 2: leases granted to isolates (lease-store.ts).
  `CREATE TABLE leases (isolate_id TEXT NOT NULL, lease_id INTEGER NOT NULL, limit_ids TEXT NOT NULL, units INTEGER NOT NULL, end_ms REAL NOT NULL, forget_at REAL NOT NULL, quota_period_start INTEGER, closed INTEGER NOT NULL, PRIMARY KEY (isolate_id, lease_id)) WITHOUT ROWID;`,
  // 3: usage counted per route too, and copied to D1 for the all-keys usage report.
  USAGE_BY_ROUTE_STEP,
  // 4: what webhooks are told: quota thresholds crossed, the first refusal of a spell (webhooks/key-alerts.ts).
  KEY_ALERTS_SCHEMA,
  // 5: an identity's object decides for all its keys (docs/identities.md): usage, last use, status and quota per key.
  `${USAGE_BY_KEY_STEP}
CREATE TABLE last_use (key_id TEXT PRIMARY KEY, at INTEGER NOT NULL) WITHOUT ROWID;
INSERT INTO last_use (key_id, at) SELECT key_id, at FROM last_used;
DROP TABLE last_used;
CREATE TABLE member_status (key_id TEXT PRIMARY KEY, status TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE member_quota (key_id TEXT PRIMARY KEY, period TEXT NOT NULL, period_start INTEGER NOT NULL, used INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE identity_status (id INTEGER PRIMARY KEY CHECK (id = 1), status TEXT NOT NULL);`,
];

/**
 * One per key, or per identity. It decides every limit of a request in one synchronous step, so
 * concurrent requests are serialised and a denial consumes nothing, and it holds the newest
 * statuses it has been told, so revocation applies everywhere at once.
 */
export class KeyLimiter extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private readonly windows: WindowStore;
  private readonly usage: KeyUsage;
  private readonly alerts: KeyAlerts;
  private readonly alarms: ObjectAlarm;
  private readonly decider: Decider;
  /** Made on first use: an object only ever decides for one kind of subject. */
  private keySubject: KeySubject | undefined;
  private identitySubject: IdentitySubject | undefined;
  /** The records of the secrets decided here, made on the first `resolve`. */
  private records: KeyRecords | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    migrateSchema(ctx.storage, KEY_OBJECT_SCHEMA);
    this.windows = new WindowStore(this.sql);
    this.windows.load();
    this.usage = new KeyUsage(this.sql);
    this.alerts = new KeyAlerts(this.sql);
    this.alarms = new ObjectAlarm(ctx.storage);
    this.decider = new Decider({ windows: this.windows, leases: new LeaseStore(this.sql), usage: this.usage, alarm: this.alarms });
  }

  /** Decides one request: key validity, then all its limits at once; may hand a lease back. */
  check(input: CheckInput): LimitDecision {
    return this.decider.check(this.subjectFor(input.key), input);
  }

  /** Reports an isolate's leases and asks for the next one, deciding no request. */
  renew(input: RenewInput): LimitDecision {
    return this.decider.renew(this.subjectFor(input.key), input);
  }

  /** The key's validity, limits and quota as they stand, consuming nothing (`GET /_gateway/me`). */
  inspect(input: InspectInput): KeyInspection {
    return this.decider.inspect(this.subjectFor(input.key), input);
  }

  /** A cold isolate's one call: this object's record of the secret, judged and decided (key-records.ts). */
  resolve(input: ResolveInput): Promise<ResolveAnswer> {
    this.records ??= new KeyRecords(this.sql, database(this.env.DB));
    return resolveKey(input, this.records, {
      older: (record) => {
        const key = cachedKeyCheck(record);
        return this.subjectFor(key).olderRecord(key);
      },
      check: (check) => this.check(check),
      inspect: (inspect) => this.inspect(inspect),
    });
  }

  /** Current remaining and reset for each limit, consuming nothing. */
  peek(limits: LimitRequest[]): PolicyState[] {
    return this.decider.peek(limits);
  }

  /** Hourly request counts by outcome in [from, to) (epoch ms): of one key in an identity's object, else of all counted here. */
  usageBetween(from: number, to: number, keyId?: string): UsageBucket[] {
    return this.usage.between(from, to, keyId);
  }

  /** An admin write tells the object the key's new status; older versions never override newer. */
  updateStatus(status: KeyStatus): void {
    this.key().update(status);
  }

  /** In an identity's object: an admin write to one of its keys. */
  updateMemberStatus(keyId: string, status: KeyStatus): void {
    this.identity().updateMember(keyId, status);
  }

  /** In an identity's object: an admin write to the identity (limits, quota, enabled). */
  updateIdentity(status: IdentityStatus): void {
    this.identity().update(status);
  }

  /**
   * Copies the last uses and changed usage counts to D1 and sends waiting alerts (a failure throws,
   * so the runtime retries the alarm), and drops emptied windows.
   */
  override async alarm(): Promise<void> {
    this.alarms.started();
    this.windows.sweep(Date.now());
    await this.usage.copyToD1(database(this.env.DB));
    await this.alerts.send(this.env);
  }

  /** A key presented with its identity is decided by the identity's object (client.ts names it so). */
  private subjectFor(key: KeyCheck): DecisionSubject {
    return key.identity ? this.identity() : this.key();
  }

  private key(): KeySubject {
    this.keySubject ??= new KeySubject(this.sql, this.windows, this.usage, this.alerts);
    return this.keySubject;
  }

  private identity(): IdentitySubject {
    this.identitySubject ??= new IdentitySubject(this.sql, this.windows);
    return this.identitySubject;
  }
}
