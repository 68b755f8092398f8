// A key's Durable Object in the edge model: the gateway's pure lease ledger and sliding window
// (src/ratelimit/lease-ledger.ts, sliding-window.ts), composed as KeyLimiter's `check` and `renew`
// compose them for a key with one limit and no quota, plus the key status it has been told.

import { ColdAsks } from "../../src/ratelimit/cold-asks.ts";
import {
  closeLeases,
  grantLease,
  type LeasableLimit,
  type LeaseAsk,
  type LeaseGrant,
  LeaseLedger,
  refusalMs,
} from "../../src/ratelimit/lease-ledger.ts";
import { decide, SlidingWindow } from "../../src/ratelimit/sliding-window.ts";
import type { EdgeKey } from "./traffic.ts";

export interface ObjectAnswer {
  outcome: "allowed" | "rate_limited" | "revoked_key";
  /** Object clock: when it decided. */
  decidedAt: number;
  grant?: LeaseGrant;
  /** A refusal to a call that asked for a lease: how long the isolate may repeat it (a zero lease). */
  refuseForMs?: number;
}

export class KeyObject {
  private readonly ledger = new LeaseLedger();
  private readonly limit: LeasableLimit;
  private readonly key: EdgeKey;
  private readonly ttlMs: number;
  private readonly coldAsks = new ColdAsks();

  /**
   * `holdsRecord`: the object holds the key's record from the key's creation (the admin create hands
   * it over, `keepRecords`); false for `--cold-objects`, keys created before that (empty storage).
   */
  constructor(key: EdgeKey, ttlMs: number, holdsRecord = true) {
    this.key = key;
    this.ttlMs = ttlMs;
    this.limit = { id: "limit", limit: key.limit, window: new SlidingWindow(key.windowMs) };
    this.holdsRecord = holdsRecord;
  }

  /** Whether the object holds the newest record of the key's secret in its store (`gateway`'s `resolve`). */
  private holdsRecord: boolean;

  /**
   * `resolve` (docs/rate-limits.md "One round trip for a cold key"): whether the object must read
   * D1 before it answers with the record: it does not hold the secret's record, or the revocation
   * told it a newer version. It keeps what it read, but never a revoked record (key-records.ts):
   * each `resolve` after the revocation reads D1.
   */
  readsD1(now: number): boolean {
    if (this.revoked(now)) return true;
    const read = !this.holdsRecord;
    this.holdsRecord = true;
    return read;
  }

  /** The admin write that revokes the key reaches its object at `revokedAt` (the model's choice: at once). */
  revoked(now: number): boolean {
    return this.key.revokedAt !== null && this.key.revokedAt <= now;
  }

  /** A deciding call (`cost` > 0) or a renewal (`cost` 0), with the isolate's lease reports and ask when it has them. */
  call(now: number, cost: number, ask: LeaseAsk | undefined): ObjectAnswer {
    // As KeyLimiter: a refused key decides nothing and takes no reports.
    if (this.revoked(now)) return { outcome: "revoked_key", decidedAt: now };
    if (ask) closeLeases(this.ledger, ask, undefined, now);
    else this.ledger.forget(now);
    const limits = [this.pruned(now)];
    if (cost > 0) {
      const decision = decide(limits, now, cost);
      if (!decision.allowed)
        return {
          outcome: "rate_limited",
          decidedAt: now,
          ...(ask && { refuseForMs: refusalMs([this.pruned(now)], this.ledger, cost, this.ttlMs, now) }),
        };
    }
    const grant = ask && this.ttlMs > 0 ? grantLease(this.ledger, [this.pruned(now)], undefined, ask, this.ttlMs, now) : undefined;
    return { outcome: "allowed", decidedAt: now, ...(grant && { grant }) };
  }

  /**
   * `resolve`'s decision of one request (key-records.ts `resolveKey`): with the isolate's lease ask
   * (`ask`), unless a racer of it came first; a racer (no `ask`) first closes the lease its ask brought.
   */
  resolve(now: number, askId: string, ask: LeaseAsk | undefined): ObjectAnswer {
    if (!ask) {
      const given = this.revoked(now) ? undefined : this.coldAsks.raced(askId, now);
      return this.call(now, 1, given && { isolateId: given.isolateId, closed: [{ leaseId: given.leaseId, used: 0 }], rate: 0 });
    }
    const answer = this.call(now, 1, this.coldAsks.mayLease(askId, now) ? ask : undefined);
    if (answer.grant?.units) this.coldAsks.granted(askId, ask.isolateId, answer.grant.leaseId, now);
    return answer;
  }

  /** The central verifier's decision: exact, per request, no leases. */
  verify(now: number): ObjectAnswer {
    if (this.revoked(now)) return { outcome: "revoked_key", decidedAt: now };
    return { outcome: decide([this.limit], now, 1).allowed ? "allowed" : "rate_limited", decidedAt: now };
  }

  private pruned(now: number): LeasableLimit {
    this.limit.window.prune(now);
    this.limit.leases = this.ledger.leasesIn(this.limit.id);
    return this.limit;
  }
}
