// The Durable Object deciding for a key (or for an identity's keys): validity, limits, quota, leases, usage.
import { DurableObject } from "cloudflare:workers";
import { database } from "../db/client";
import type { QuotaSpec } from "../db/schema";
import type { Env } from "../env";
import { cachedKeyCheck, type IdentityStatus, type KeyRefusal, type KeyStatus, refusal } from "../keys/record";
import { recordLastUse } from "../keys/store";
import { HourlyUsage, USAGE_BY_KEY_STEP, USAGE_BY_ROUTE_STEP, type UsageBucket } from "../usage/hourly";
import { ALERT_DELAY_MS, KEY_ALERTS_SCHEMA, KeyAlerts } from "../webhooks/key-alerts";
import {
  type CheckInput,
  type InspectInput,
  identityLimitRequests,
  isKeyWideLimit,
  type KeyCheck,
  type KeyInspection,
  type LeaseRequest,
  type LimitDecision,
  type LimitRequest,
  memberLimitRequests,
  nearestExhaustion,
  type PolicyState,
  type RenewInput,
} from "./decision";
import { KeyRecords, type ResolveAnswer, type ResolveInput, resolveKey } from "./key-records";
import { closeLeases, grantLease, type LeaseGrant, type QuotaBudget, refusalMs } from "./lease-ledger";
import { LeaseStore } from "./lease-store";
import { migrateSchema, type SchemaSteps } from "./object-schema";
import { combinedBudget, periodStart, QuotaCounter, type QuotaState, tightestQuota } from "./quota";
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
];

/** A quota the request counts against, with its counter in this object. */
interface HeldQuota {
  spec: QuotaSpec;
  counter: QuotaCounter;
}

/** What a deciding call works with once the key (and its identity) have been judged valid. */
interface Admission {
  keyId: string | undefined;
  /** Every limit the request counts against here: the key's own and the route's, then its identity's. */
  limits: LimitRequest[];
  quotas: HeldQuota[];
  /** All the quotas as one: what a lease reserves. */
  budget: QuotaBudget | undefined;
  /** Decided in the key's identity's object: webhook alerts are only a key object's. */
  member: boolean;
  /** When the presented secret stops working. */
  expiresAt: number | null;
}

interface KeyVerdict {
  refused: KeyRefusal | undefined;
  quota: QuotaSpec | null;
  /** When this secret stops working: the key's or the secret's expiry, whichever is first. */
  expiresAt: number | null;
}

/** How long a key's last use and usage counts may wait before they are copied to D1 (by alarm, off the request path). */
export const LAST_USED_FLUSH_MS = 60_000;

/**
 * One per key. It decides every limit of a request in one synchronous step, so concurrent
 * requests are serialised and a denial consumes nothing, and it holds the newest key status it
 * has been told, so revocation applies everywhere at once.
 * State lives in the object's SQLite; writes made in one turn are flushed together before the
 * answer leaves (the output gate), so a decision is never acknowledged and then lost.
 */
export class KeyLimiter extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private readonly windows: WindowStore;
  private readonly leases: LeaseStore;
  private readonly leasesIn = (limitId: string) => this.leases.ledger.leasesIn(limitId);
  private status: KeyStatus | undefined;
  /** The key version whose limit list the windows were last reconciled with. */
  private limitsVersion: number | undefined;
  private readonly quota: QuotaCounter;
  private readonly usage: HourlyUsage;
  private readonly alerts: KeyAlerts;
  private flushScheduled = false;
  private alertScheduled = false;
  private readonly lastUseWritten = new Map<string, number>();
  /** In an identity's object: the identity's newest status, and each key's, loaded on first use. */
  private identity: IdentityStatus | undefined;
  private readonly members = new Map<string, { status: KeyStatus | undefined; quota: QuotaCounter }>();
  /** The records of the secrets decided here, made on the first `resolve`. */
  private records: KeyRecords | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    migrateSchema(ctx.storage, KEY_OBJECT_SCHEMA);
    this.windows = new WindowStore(this.sql);
    this.windows.load();
    this.leases = new LeaseStore(this.sql);
    const saved = this.sql.exec<{ status: string }>("SELECT status FROM key_status").toArray()[0];
    if (saved) this.status = JSON.parse(saved.status) as KeyStatus;
    this.quota = new QuotaCounter(this.sql);
    this.usage = new HourlyUsage(this.sql);
    this.alerts = new KeyAlerts(this.sql);
    const identity = this.sql.exec<{ status: string }>("SELECT status FROM identity_status").toArray()[0];
    if (identity) this.identity = JSON.parse(identity.status) as IdentityStatus;
  }

  /** Decides one request: key validity, then all its limits at once; may hand a lease back. */
  check(input: CheckInput): LimitDecision {
    const now = Date.now();
    const opened = this.open(input, now);
    if ("outcome" in opened) return opened;
    if (this.olderRecord(input.key)) return this.reloadFirst(input, opened, now);
    const { keyId, limits, quotas, budget } = opened;
    if (input.lease) this.settleLeases(input.lease, opened, input.route, now);
    if (input.refusedLocally) this.usage.record(now, keyId, input.route, "rate_limited", input.refusedLocally);
    // Quotas are judged before the windows are touched: a request they refuse consumes no rate limit.
    const short = quotas.find((q) => !q.counter.fits(q.spec, input.cost, now));
    if (short) {
      this.usage.record(now, keyId, input.route, "quota_exceeded");
      const policies = this.windows.peek(limits, now, this.leasesIn);
      const state = short.counter.state(short.spec, now);
      return {
        outcome: "quota_exceeded",
        policies,
        nearest: nearestExhaustion(policies),
        quota: state,
        ...(state.reset !== null && { retryAfter: state.reset }),
      };
    }
    const decision = this.windows.decide(limits, input.cost, now, this.leasesIn);
    this.usage.record(now, keyId, input.route, decision.outcome);
    if (decision.outcome === "rate_limited") {
      const denied = decision.policies[decision.nearest];
      if (keyId && !opened.member && this.alerts.refused(keyId, now, denied?.name ?? "", decision.retryAfter ?? 0)) this.alertSoon(now);
      if (!input.lease || decision.deniedUntil === undefined) return decision;
      const states = this.windows.pruned(limits, now, this.leasesIn);
      return { ...decision, refuseForMs: refusalMs(states, this.leases.ledger, input.cost, input.lease.ttlMs, now) };
    }
    if (keyId) this.noteUse(keyId, now);
    budget?.consume(input.cost, now);
    const lease = input.lease && this.grant(limits, budget, input.lease, now);
    this.noteQuota(opened, now);
    return { ...decision, ...this.quotaState(quotas, now), ...(lease && { lease }) };
  }

  /** A cold isolate's one call: this object's record of the secret, judged and decided (key-records.ts). */
  resolve(input: ResolveInput): Promise<ResolveAnswer> {
    this.records ??= new KeyRecords(this.sql, database(this.env.DB));
    return resolveKey(input, this.records, {
      older: (record) => this.olderRecord(cachedKeyCheck(record)),
      check: (check) => this.check(check),
      inspect: (inspect) => this.inspect(inspect),
    });
  }

  /**
   * A lease renewal, sent in the background: the isolate's reports, then a new lease if the budget
   * allows. A key that is no longer valid gets its refusal instead, so every isolate learns it
   * within one lease TTL.
   */
  renew(input: RenewInput): LimitDecision {
    const now = Date.now();
    const opened = this.open(input, now);
    if ("outcome" in opened) return opened;
    if (this.olderRecord(input.key)) return this.reloadFirst(input, opened, now);
    const { limits, quotas, budget } = opened;
    this.settleLeases(input.lease, opened, input.route, now);
    const lease = this.grant(limits, budget, input.lease, now);
    this.noteQuota(opened, now);
    const policies = this.windows.peek(limits, now, this.leasesIn);
    return { outcome: "allowed", policies, nearest: nearestExhaustion(policies), ...this.quotaState(quotas, now), ...(lease && { lease }) };
  }

  /**
   * What every deciding call does first: judge the key, and its identity when it has one (a refusal
   * ends the call), drop windows of removed limits, and note the key's usage for the next flush to D1.
   */
  private open(input: CheckInput | RenewInput, now: number): LimitDecision | Admission {
    const admission = this.admission(input, now);
    if (typeof admission === "string") return { outcome: admission, policies: [], nearest: -1 };
    if (!admission.member) {
      this.dropRemovedLimits(input);
      if (input.key.keyId) this.usage.ownedBy(input.key.keyId);
    }
    this.scheduleFlush(now);
    return admission;
  }

  /**
   * The limits and quotas a request on this key counts against, or why the key is refused. In an
   * identity's object: the key's own limits (counted per key), its identity's, and both quotas.
   */
  private admission(input: CheckInput | RenewInput | InspectInput, now: number): Admission | KeyRefusal {
    const { key } = input;
    if (!key.identity) {
      const verdict = this.judge(key, this.reconcile(key.status), now);
      if (verdict.refused) return verdict.refused;
      const quotas: HeldQuota[] = verdict.quota ? [{ spec: verdict.quota, counter: this.quota }] : [];
      return {
        keyId: key.keyId,
        limits: input.limits,
        quotas,
        budget: quotas[0]?.counter.budget(quotas[0].spec),
        member: false,
        expiresAt: verdict.expiresAt,
      };
    }
    const keyId = key.keyId ?? "";
    const member = this.member(keyId);
    const verdict = this.judge(key, this.reconcileMember(keyId, key.status), now);
    if (verdict.refused) return verdict.refused;
    const identity = this.reconcileIdentity(key.identity);
    // On an older record the key may have left the identity: it is reloaded first (`olderRecord`).
    if (!identity.enabled && !this.olderRecord(key)) return "disabled_key";
    const quotas: HeldQuota[] = [];
    if (verdict.quota) quotas.push({ spec: verdict.quota, counter: member.quota });
    if (identity.quota) quotas.push({ spec: identity.quota, counter: this.quota });
    return {
      keyId,
      limits: [...memberLimitRequests(keyId, input.limits), ...identityLimitRequests(identity.rateLimits)],
      quotas,
      budget: combinedBudget(quotas.map((q) => q.counter.budget(q.spec))),
      member: true,
      expiresAt: verdict.expiresAt,
    };
  }

  /**
   * Whether this object knows a newer version of the key, or of its identity, than the request's
   * record (an admin write pushed it): the isolate reloads the record before it is judged, so every
   * change (scopes, IP allowlist, limits, identity membership) reaches it within `LEASE_TTL_MS`
   * (docs/rate-limits.md "Every change within the bound").
   */
  private olderRecord(key: KeyCheck): boolean {
    if (!key.identity) return this.status !== undefined && this.status.version > key.status.version;
    const newest = this.member(key.keyId ?? "").status;
    if (newest && newest.version > key.status.version) return true;
    return this.identity !== undefined && this.identity.version > key.identity.version;
  }

  /**
   * Decides nothing on an older record of a valid key (a refusal on the newest status is answered
   * as it is), but takes the lease reports it carries: they are of requests already decided.
   */
  private reloadFirst(input: CheckInput | RenewInput, admission: Admission, now: number): LimitDecision {
    if (input.lease) this.settleLeases(input.lease, admission, input.route, now);
    return { outcome: "older_record", policies: [], nearest: -1 };
  }

  /** The quota nearest exhaustion, for the answer's `quota`. */
  private quotaState(quotas: HeldQuota[], now: number): { quota?: QuotaState } {
    const quota = tightestQuota(quotas.map((q) => q.counter.state(q.spec, now)));
    return quota ? { quota } : {};
  }

  /** Shrinks the leases an isolate closed, gives their unused quota back, and counts what it admitted and refused. */
  private settleLeases(lease: LeaseRequest, admission: Admission, route: string, now: number): void {
    const { keyId, budget, member } = admission;
    closeLeases(this.leases.ledger, lease, budget, now);
    this.leases.persist();
    if (lease.admitted > 0) {
      this.usage.record(now, keyId, route, "allowed", lease.admitted);
      if (keyId) this.noteUse(keyId, now);
    }
    if (lease.refused > 0) this.usage.record(now, keyId, route, "rate_limited", lease.refused);
    // Refusals made in the isolate follow one the object made: they keep that spell going.
    if (keyId && !member && lease.refused > 0 && this.alerts.refused(keyId, now, "", 0, lease.refused)) this.alertSoon(now);
  }

  /** A key object's quota spent or reserved (a lease's units count from its grant) may have crossed a webhook threshold. */
  private noteQuota({ keyId, quotas, member }: Admission, now: number): void {
    const quota = quotas[0]?.spec;
    if (!keyId || member || !quota) return;
    if (this.alerts.quotaSpent(keyId, quota, periodStart(quota.period, now), this.quota.state(quota, now).used)) this.alertSoon(now);
  }

  /** Alerts go out from the alarm, moments after the decision that raised them (the alarm also flushes usage). */
  private alertSoon(now: number): void {
    // Set once until the alarm runs: moving it on every request would postpone it under steady traffic.
    if (this.alertScheduled) return;
    this.alertScheduled = true;
    this.flushScheduled = true;
    void this.ctx.storage.setAlarm(now + ALERT_DELAY_MS);
  }

  private grant(limits: LimitRequest[], budget: QuotaBudget | undefined, lease: LeaseRequest, now: number): LeaseGrant | undefined {
    if (lease.ttlMs <= 0) return undefined;
    const grant = grantLease(this.leases.ledger, this.windows.pruned(limits, now, this.leasesIn), budget, lease, lease.ttlMs, now);
    this.leases.persist();
    return grant;
  }

  /** The key's validity, limits and quota as they stand, consuming nothing (`GET /_gateway/me`). */
  inspect(input: InspectInput): KeyInspection {
    const now = Date.now();
    const admission = this.admission(input, now);
    if (typeof admission === "string") return { outcome: admission, policies: [], quota: null, expiresAt: null };
    if (this.olderRecord(input.key)) return { outcome: "older_record", policies: [], quota: null, expiresAt: null };
    return {
      outcome: "allowed",
      policies: this.windows.peek(admission.limits, now, this.leasesIn),
      quota: this.quotaState(admission.quotas, now).quota ?? null,
      expiresAt: admission.expiresAt,
    };
  }

  /**
   * Copies the key's last use and changed usage counts to D1 (a failure throws, so the runtime
   * retries the alarm) and drops emptied windows.
   */
  override async alarm(): Promise<void> {
    this.flushScheduled = false;
    this.alertScheduled = false;
    this.windows.sweep(Date.now());
    const db = database(this.env.DB);
    for (const row of this.sql.exec<{ key_id: string; at: number }>("SELECT key_id, at FROM last_use").toArray()) {
      await recordLastUse(db, row.key_id, row.at);
      this.sql.exec("DELETE FROM last_use WHERE key_id = ? AND at = ?", row.key_id, row.at);
    }
    await this.usage.copyToD1(db);
    await this.alerts.send(this.env);
  }

  /** Counted usage and last use reach D1 by an alarm at most LAST_USED_FLUSH_MS later. */
  private scheduleFlush(now: number): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    void this.ctx.storage.setAlarm(now + LAST_USED_FLUSH_MS);
  }

  private noteUse(keyId: string, now: number): void {
    // A second's precision is all lastUsedAt needs; a write per request is not.
    if (now - (this.lastUseWritten.get(keyId) ?? 0) < 1000) return;
    this.lastUseWritten.set(keyId, now);
    this.sql.exec("INSERT OR REPLACE INTO last_use (key_id, at) VALUES (?, ?)", keyId, now);
  }

  /** Hourly request counts by outcome in [from, to) (epoch ms): of one key in an identity's object, else of all counted here. */
  usageBetween(from: number, to: number, keyId?: string): UsageBucket[] {
    return this.usage.read(from, to, keyId);
  }

  /** Current remaining and reset for each limit, consuming nothing. */
  peek(limits: LimitRequest[]): PolicyState[] {
    return this.windows.peek(limits, Date.now(), this.leasesIn);
  }

  /** An admin write tells the object the key's new status; older versions never override newer. */
  updateStatus(status: KeyStatus): void {
    this.reconcile(status);
  }

  /** In an identity's object: an admin write to one of its keys. */
  updateMemberStatus(keyId: string, status: KeyStatus): void {
    this.reconcileMember(keyId, status);
  }

  /** In an identity's object: an admin write to the identity (limits, quota, enabled). */
  updateIdentity(status: IdentityStatus): void {
    this.reconcileIdentity(status);
  }

  /**
   * A request presented with the newest key version lists all the key's own limits: key-wide
   * windows it does not list belong to limits the key no longer has. Checked once per version.
   */
  private dropRemovedLimits(input: Pick<CheckInput, "limits" | "key">): void {
    const version = input.key.status.version;
    if (this.limitsVersion === version || this.status?.version !== version) return;
    this.limitsVersion = version;
    const current = new Set(input.limits.map((limit) => limit.id));
    this.windows.forget(this.windows.ids().filter((id) => isKeyWideLimit(id) && !current.has(id)));
  }

  /** The key's validity judged on `status`, the newest known, and the quota that status carries. */
  private judge(key: KeyCheck, status: KeyStatus, now: number): KeyVerdict {
    // A status pushed by an admin write knows every secret; a cached one only the presented secret.
    const known = Object.hasOwn(status.secretExpiry, key.secretId) ? status.secretExpiry : key.status.secretExpiry;
    const secretExpiresAt = known[key.secretId] ?? null;
    return {
      refused: refusal(status, secretExpiresAt, now),
      quota: status.quota !== undefined ? status.quota : (key.status.quota ?? null),
      expiresAt:
        status.expiresAt === null || secretExpiresAt === null
          ? (status.expiresAt ?? secretExpiresAt)
          : Math.min(status.expiresAt, secretExpiresAt),
    };
  }

  /** A key of this identity: its newest status and its quota counter. */
  private member(keyId: string): { status: KeyStatus | undefined; quota: QuotaCounter } {
    let member = this.members.get(keyId);
    if (!member) {
      const saved = this.sql.exec<{ status: string }>("SELECT status FROM member_status WHERE key_id = ?", keyId).toArray()[0];
      member = { status: saved ? (JSON.parse(saved.status) as KeyStatus) : undefined, quota: new QuotaCounter(this.sql, keyId) };
      this.members.set(keyId, member);
    }
    return member;
  }

  private reconcileMember(keyId: string, candidate: KeyStatus): KeyStatus {
    const member = this.member(keyId);
    if (member.status && member.status.version >= candidate.version) return member.status;
    member.status = candidate;
    this.sql.exec("INSERT OR REPLACE INTO member_status (key_id, status) VALUES (?, ?)", keyId, JSON.stringify(candidate));
    return candidate;
  }

  private reconcileIdentity(candidate: IdentityStatus): IdentityStatus {
    if (this.identity && this.identity.version >= candidate.version) return this.identity;
    this.identity = candidate;
    this.sql.exec("INSERT OR REPLACE INTO identity_status (id, status) VALUES (1, ?)", JSON.stringify(candidate));
    this.windows.sweep(Date.now());
    return candidate;
  }

  private reconcile(candidate: KeyStatus): KeyStatus {
    if (this.status && this.status.version >= candidate.version) return this.status;
    this.status = candidate;
    this.sql.exec("INSERT OR REPLACE INTO key_status (id, status) VALUES (1, ?)", JSON.stringify(candidate));
    // A new version may have dropped limits or routes: windows that hold nothing go now.
    this.windows.sweep(Date.now());
    return candidate;
  }
}
