// The Durable Object class bound as KEY_LIMITER: one per key (`key:<id>`) or per identity
// (`identity:<id>`). A thin shell: it routes each RPC to the decider (decider.ts) with what the
// object decides for (key-subject.ts, identity-subject.ts); its alarm copies usage, sends alerts and
// ends the object's life (retirement.ts).
import { DurableObject } from "cloudflare:workers";
import { type Database, database } from "../db/client";
import type { Env } from "../env";
import { cachedKeyCheck, type IdentityStatus, type KeyStatus } from "../keys/record";
import { type ObjectDatabase, objectDatabase } from "../objects/database";
import { USAGE_BY_KEY_STEP, USAGE_BY_ROUTE_STEP, type UsageBucket } from "../usage/hourly";
import { KEY_ALERTS_SCHEMA, KeyAlerts } from "../webhooks/key-alerts";
import { Decider } from "./decider";
import type { CheckInput, InspectInput, KeyCheck, KeyInspection, LimitDecision, LimitRequest, PolicyState, RenewInput } from "./decision";
import { IdentitySubject } from "./identity-subject";
import { type HandedRecords, KeyRecords, keepRecords, type ResolveAnswer, type ResolveInput, resolveKey } from "./key-records";
import { KeySubject } from "./key-subject";
import { KeyUsage } from "./key-usage";
import { LeaseStore } from "./lease-store";
import { ObjectAlarm } from "./object-alarm";
import { migrateSchema, type SchemaSteps } from "./object-schema";
import { isLegacyClientIpObject, RETIREMENT_STEP, Retirement } from "./retirement";
import type { DecisionSubject } from "./subject";
import { WindowStore } from "./window-store";

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
  // 6: end of life: when a revoked key's or deleted identity's object deletes its storage (retirement.ts).
  RETIREMENT_STEP,
];

/** An object's state once its storage is open; dropped with the storage when the object retires. */
class OpenObject {
  readonly sql: SqlStorage;
  /** Typed queries for the stores off the hot path (objects/database.ts). */
  readonly db: ObjectDatabase;
  readonly windows: WindowStore;
  readonly usage: KeyUsage;
  readonly alerts: KeyAlerts;
  readonly retirement: Retirement;
  readonly decider: Decider;
  /** Made on first use: an object only ever decides for one kind of subject. */
  private keySubject: KeySubject | undefined;
  private identitySubject: IdentitySubject | undefined;
  /** The records of the secrets decided here (key-records.ts), made on the first `resolve` or `keepRecords`. */
  private keyRecords: KeyRecords | undefined;

  constructor(
    storage: DurableObjectStorage,
    readonly alarm: ObjectAlarm,
  ) {
    this.sql = storage.sql;
    this.db = objectDatabase(storage);
    migrateSchema(storage, KEY_OBJECT_SCHEMA);
    this.windows = new WindowStore(this.sql);
    this.windows.load();
    this.usage = new KeyUsage(this.sql, this.db);
    this.alerts = new KeyAlerts(this.sql);
    this.retirement = new Retirement(this.db);
    this.decider = new Decider({ windows: this.windows, leases: new LeaseStore(this.sql), usage: this.usage, alarm });
  }

  /** A key presented with its identity is decided by the identity's object (client.ts names it so). */
  subjectFor(key: KeyCheck): DecisionSubject {
    return key.identity ? this.identity() : this.key();
  }

  key(): KeySubject {
    this.keySubject ??= new KeySubject(this.sql, this.windows, this.usage, this.alerts, this.retirement, this.alarm);
    return this.keySubject;
  }

  identity(): IdentitySubject {
    this.identitySubject ??= new IdentitySubject(this.sql, this.windows);
    return this.identitySubject;
  }

  records(db: () => Database): KeyRecords {
    this.keyRecords ??= new KeyRecords(this.db, db);
    return this.keyRecords;
  }
}

/**
 * One per key, or per identity. It decides every limit of a request in one synchronous step, so
 * concurrent requests are serialised and a denial consumes nothing, and it holds the newest
 * statuses it has been told, so revocation applies everywhere at once.
 */
export class KeyLimiter extends DurableObject<Env> {
  private readonly alarms: ObjectAlarm;
  private opened: OpenObject | undefined;
  /** D1 as the env has it when the object reads it (a field, not a method: no RPC reaches it). */
  private readonly d1 = (): Database => database(this.env.DB);

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.alarms = new ObjectAlarm(ctx.storage);
    // A legacy client IP object is only ever asked to retire: it opens (and creates) no storage.
    if (!isLegacyClientIpObject(ctx.id.name)) this.opened = new OpenObject(ctx.storage, this.alarms);
  }

  /** The object's state, its storage opened (and migrated) again after a retirement deleted it. */
  private get state(): OpenObject {
    this.opened ??= new OpenObject(this.ctx.storage, this.alarms);
    return this.opened;
  }

  /** Decides one request: key validity, then all its limits at once; may hand a lease back. */
  check(input: CheckInput): LimitDecision {
    const { decider } = this.state;
    return decider.check(this.state.subjectFor(input.key), input);
  }

  /** Reports an isolate's leases and asks for the next one, deciding no request. */
  renew(input: RenewInput): LimitDecision {
    const { decider } = this.state;
    return decider.renew(this.state.subjectFor(input.key), input);
  }

  /** The key's validity, limits and quota as they stand, consuming nothing (`GET /_gateway/me`). */
  inspect(input: InspectInput): KeyInspection {
    const { decider } = this.state;
    return decider.inspect(this.state.subjectFor(input.key), input);
  }

  /** A cold isolate's one call: this object's record of the secret, judged and decided (key-records.ts). */
  resolve(input: ResolveInput): Promise<ResolveAnswer> {
    return resolveKey(input, this.state.records(this.d1), {
      older: (record) => {
        const key = cachedKeyCheck(record);
        return this.state.subjectFor(key).olderRecord(key);
      },
      check: (check) => this.check(check),
      inspect: (inspect) => this.inspect(inspect),
    });
  }

  /** An admin write's rows of a new secret, or of a changed key's: held, so the next `resolve` reads no D1 (key-records.ts). */
  keepRecords(handed: HandedRecords): void {
    keepRecords(handed, this.state.records(this.d1), {
      older: (record) => {
        const key = cachedKeyCheck(record);
        return this.state.subjectFor(key).olderRecord(key);
      },
    });
  }

  /** Current remaining and reset for each limit, consuming nothing. */
  peek(limits: LimitRequest[]): PolicyState[] {
    return this.state.decider.peek(limits);
  }

  /** Hourly request counts by outcome in [from, to) (epoch ms): of one key in an identity's object, else of all counted here. */
  usageBetween(from: number, to: number, keyId?: string): UsageBucket[] {
    return this.state.usage.between(from, to, keyId);
  }

  /** An admin write tells the object the key's new status; older versions never override newer. A revoked key's object retires. */
  updateStatus(status: KeyStatus): void {
    this.state.key().update(status);
  }

  /** In an identity's object: an admin write to one of its keys. */
  updateMemberStatus(keyId: string, status: KeyStatus): void {
    this.state.identity().updateMember(keyId, status);
  }

  /** In an identity's object: an admin write to the identity (limits, quota, enabled). */
  updateIdentity(status: IdentityStatus): void {
    this.state.identity().update(status);
  }

  /** In an identity's object: the identity was deleted at `deletedAt` (epoch ms); the object retires. */
  identityDeleted(deletedAt: number): void {
    const { retirement } = this.state;
    if (retirement.schedule(deletedAt)) this.alarms.retireAt(retirement.due() ?? deletedAt);
  }

  /**
   * A KEY_LIMITER object under a name that counted client IPs in earlier versions deletes whatever it
   * holds (ClientIpCounter asks, the first time it counts that client). Opens no storage where none is.
   */
  async retireLegacy(): Promise<void> {
    if (!isLegacyClientIpObject(this.ctx.id.name)) return;
    this.opened = undefined;
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
  }

  /**
   * Copies the last uses and changed usage counts to D1 and sends waiting alerts (a failure throws,
   * so the runtime retries the alarm), and drops emptied windows. Past its retirement, with
   * everything copied, the object deletes its storage.
   */
  override async alarm(): Promise<void> {
    if (isLegacyClientIpObject(this.ctx.id.name)) return this.retireLegacy();
    this.alarms.started();
    const state = this.state;
    state.windows.sweep(Date.now());
    await state.usage.copyToD1(database(this.env.DB));
    await state.alerts.send(this.env);
    const retireAt = state.retirement.due();
    if (retireAt !== undefined && Date.now() >= retireAt && !state.usage.hasUncopied()) {
      this.opened = undefined;
      await this.ctx.storage.deleteAlarm();
      await this.ctx.storage.deleteAll();
      return;
    }
    await this.alarms.afterRun(retireAt);
  }
}
