// An identity's object's subject: every key of one identity, each with its own status and quota,
// all sharing the identity's limits and quota (docs/identities.md). Alerts are only a key object's.
import type { IdentityStatus, KeyRefusal, KeyStatus } from "../keys/record";
import { type CheckInput, type InspectInput, identityLimitRequests, type KeyCheck, memberLimitRequests, type RenewInput } from "./decision";
import { combinedBudget, QuotaCounter } from "./quota";
import type { Admission, DecisionSubject, HeldQuota } from "./subject";
import { judgeKey } from "./subject";
import type { WindowStore } from "./window-store";

interface Member {
  status: KeyStatus | undefined;
  quota: QuotaCounter;
}

/** Decides for all the keys of the identity the object is named after. */
export class IdentitySubject implements DecisionSubject {
  /** The identity's newest status, and each key's, loaded on first use. */
  private identity: IdentityStatus | undefined;
  private readonly members = new Map<string, Member>();
  private readonly quota: QuotaCounter;

  constructor(
    private readonly sql: SqlStorage,
    private readonly windows: WindowStore,
  ) {
    const saved = sql.exec<{ status: string }>("SELECT status FROM identity_status").toArray()[0];
    if (saved) this.identity = JSON.parse(saved.status) as IdentityStatus;
    this.quota = new QuotaCounter(sql);
  }

  /** The key's own limits (counted per key), its identity's, and both quotas. */
  admit(input: CheckInput | RenewInput | InspectInput, now: number): Admission | KeyRefusal {
    const { key } = input;
    const keyId = key.keyId ?? "";
    const member = this.member(keyId);
    const verdict = judgeKey(key, this.updateMember(keyId, key.status), now);
    if (verdict.refused) return verdict.refused;
    // A request for an identity's object always carries the identity (client.ts routes it by it).
    const identity = key.identity ? this.update(key.identity) : this.identity;
    if (!identity) return "disabled_key";
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
      expiresAt: verdict.expiresAt,
    };
  }

  opened(): void {}

  olderRecord(key: KeyCheck): boolean {
    const newest = this.member(key.keyId ?? "").status;
    if (newest && newest.version > key.status.version) return true;
    return this.identity !== undefined && key.identity !== undefined && this.identity.version > key.identity.version;
  }

  refused(): boolean {
    return false;
  }

  quotaSpent(): boolean {
    return false;
  }

  /** An admin write to the identity (limits, quota, enabled), or a request's record of it; newer versions win. */
  update(candidate: IdentityStatus): IdentityStatus {
    if (this.identity && this.identity.version >= candidate.version) return this.identity;
    this.identity = candidate;
    this.sql.exec("INSERT OR REPLACE INTO identity_status (id, status) VALUES (1, ?)", JSON.stringify(candidate));
    this.windows.sweep(Date.now());
    return candidate;
  }

  /** An admin write to one of the identity's keys, or a request's record of it; newer versions win. */
  updateMember(keyId: string, candidate: KeyStatus): KeyStatus {
    const member = this.member(keyId);
    if (member.status && member.status.version >= candidate.version) return member.status;
    member.status = candidate;
    this.sql.exec("INSERT OR REPLACE INTO member_status (key_id, status) VALUES (?, ?)", keyId, JSON.stringify(candidate));
    return candidate;
  }

  /** A key of this identity: its newest status and its quota counter. */
  private member(keyId: string): Member {
    let member = this.members.get(keyId);
    if (!member) {
      const saved = this.sql.exec<{ status: string }>("SELECT status FROM member_status WHERE key_id = ?", keyId).toArray()[0];
      member = { status: saved ? (JSON.parse(saved.status) as KeyStatus) : undefined, quota: new QuotaCounter(this.sql, keyId) };
      this.members.set(keyId, member);
    }
    return member;
  }
}
