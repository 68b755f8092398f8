// A key object's subject: one key on its own, with its status, its quota and its webhook alerts.
import type { KeyRefusal, KeyStatus } from "../keys/record";
import type { KeyAlerts } from "../webhooks/key-alerts";
import { type CheckInput, type InspectInput, isKeyWideLimit, type KeyCheck, type RenewInput } from "./decision";
import type { KeyUsage } from "./key-usage";
import type { ObjectAlarm } from "./object-alarm";
import { periodStart, QuotaCounter } from "./quota";
import type { Retirement } from "./retirement";
import type { Admission, DecisionSubject, HeldQuota } from "./subject";
import { judgeKey } from "./subject";
import type { WindowStore } from "./window-store";

/** Decides for the key the object is named after; it holds the newest key status it has been told. */
export class KeySubject implements DecisionSubject {
  private status: KeyStatus | undefined;
  /** The key version whose limit list the windows were last reconciled with. */
  private limitsVersion: number | undefined;
  private readonly quota: QuotaCounter;

  constructor(
    private readonly sql: SqlStorage,
    private readonly windows: WindowStore,
    private readonly usage: KeyUsage,
    private readonly alerts: KeyAlerts,
    private readonly retirement: Retirement,
    private readonly alarm: ObjectAlarm,
  ) {
    const saved = sql.exec<{ status: string }>("SELECT status FROM key_status").toArray()[0];
    if (saved) this.status = JSON.parse(saved.status) as KeyStatus;
    this.quota = new QuotaCounter(sql);
    // Objects of keys revoked before end of life existed retire once they wake.
    if (this.status) this.retireIfRevoked(this.status);
  }

  admit(input: CheckInput | RenewInput | InspectInput, now: number): Admission | KeyRefusal {
    const { key } = input;
    const verdict = judgeKey(key, this.update(key.status), now);
    if (verdict.refused) return verdict.refused;
    const quotas: HeldQuota[] = verdict.quota ? [{ spec: verdict.quota, counter: this.quota }] : [];
    return {
      keyId: key.keyId,
      limits: input.limits,
      quotas,
      budget: quotas[0]?.counter.budget(quotas[0].spec),
      expiresAt: verdict.expiresAt,
    };
  }

  opened(input: CheckInput | RenewInput): void {
    this.dropRemovedLimits(input);
    if (input.key.keyId) this.usage.ownedBy(input.key.keyId);
  }

  olderRecord(key: KeyCheck): boolean {
    return this.status !== undefined && this.status.version > key.status.version;
  }

  refused(keyId: string, now: number, limitName: string, retryAfter: number, count = 1): boolean {
    return this.alerts.refused(keyId, now, limitName, retryAfter, count);
  }

  quotaSpent({ keyId, quotas }: Admission, now: number): boolean {
    const quota = quotas[0]?.spec;
    if (!keyId || !quota) return false;
    return this.alerts.quotaSpent(keyId, quota, periodStart(quota.period, now), this.quota.state(quota, now).used);
  }

  /** Takes `candidate` if it is newer than the status held (an admin write, or a request's record); answers the newest. */
  update(candidate: KeyStatus): KeyStatus {
    if (this.status && this.status.version >= candidate.version) return this.status;
    this.status = candidate;
    this.sql.exec("INSERT OR REPLACE INTO key_status (id, status) VALUES (1, ?)", JSON.stringify(candidate));
    // A new version may have dropped limits or routes: windows that hold nothing go now.
    this.windows.sweep(Date.now());
    this.retireIfRevoked(candidate);
    return candidate;
  }

  /** A revoked key's object deletes its storage once no isolate can present a record from before the revocation. */
  private retireIfRevoked(status: KeyStatus): void {
    if (status.revokedAt !== null && this.retirement.schedule(status.revokedAt)) this.alarm.retireAt(this.retirement.due() ?? 0);
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
}
