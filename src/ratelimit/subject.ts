// What a deciding object decides for: a key on its own (key-subject.ts) or all the keys of an
// identity (identity-subject.ts). The decider (decider.ts) runs the same steps for either.
import type { QuotaSpec } from "../db/schema";
import { type KeyRefusal, type KeyStatus, refusal } from "../keys/record";
import type { CheckInput, InspectInput, KeyCheck, LimitRequest, RenewInput } from "./decision";
import type { QuotaBudget } from "./lease-ledger";
import type { QuotaCounter } from "./quota";

/** A quota the request counts against, with its counter in this object. */
export interface HeldQuota {
  spec: QuotaSpec;
  counter: QuotaCounter;
}

/** What a deciding call works with once the key (and its identity) have been judged valid. */
export interface Admission {
  keyId: string | undefined;
  /** Every limit the request counts against here: the key's own and the route's, then its identity's. */
  limits: LimitRequest[];
  quotas: HeldQuota[];
  /** All the quotas as one: what a lease reserves. */
  budget: QuotaBudget | undefined;
  /** When the presented secret stops working. */
  expiresAt: number | null;
}

/** The decider's questions to what it decides for. */
export interface DecisionSubject {
  /** The limits and quotas a request counts against, or why the key is refused (judged on the newest statuses known). */
  admit(input: CheckInput | RenewInput | InspectInput, now: number): Admission | KeyRefusal;
  /** A deciding call (not an inspection) was admitted: bookkeeping before it is decided. */
  opened(input: CheckInput | RenewInput): void;
  /**
   * Whether this object knows a newer version of the key, or of its identity, than the request's
   * record (an admin write pushed it): the isolate reloads the record before it is judged, so every
   * change reaches it within `LEASE_TTL_MS` (docs/rate-limits.md "Every change within the bound").
   */
  olderRecord(key: KeyCheck): boolean;
  /** The object refused (or an isolate refused `count`): true when a webhook alert now waits for the alarm. */
  refused(keyId: string, now: number, limitName: string, retryAfter: number, count?: number): boolean;
  /** Quota was spent or reserved: true when a webhook alert now waits for the alarm. */
  quotaSpent(admission: Admission, now: number): boolean;
}

/** The key's validity judged on one status, and the quota that status carries. */
export interface KeyVerdict {
  refused: KeyRefusal | undefined;
  quota: QuotaSpec | null;
  /** When this secret stops working: the key's or the secret's expiry, whichever is first. */
  expiresAt: number | null;
}

/** The key's validity judged on `status`, the newest known, and the quota that status carries. */
export function judgeKey(key: KeyCheck, status: KeyStatus, now: number): KeyVerdict {
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
