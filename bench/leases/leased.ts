// The gateway's lease modules as a lease system: the object's ledger and sliding windows
// (src/ratelimit/lease-ledger.ts, sliding-window.ts), composed as the key's object composes them for
// one limit set; the isolates run the lease client (cluster.ts).
import type { LeaseDecision } from "../../src/ratelimit/lease-client.ts";
import type { LeaseRequest } from "../../src/ratelimit/lease-holder.ts";
import { closeLeases, grantLease, type LeasableLimit, LeaseLedger, refusalMs } from "../../src/ratelimit/lease-ledger.ts";
import { decide, SlidingWindow } from "../../src/ratelimit/sliding-window.ts";
import type { LeaseSystem } from "./cluster.ts";

/** LEASE_TTL_MS's default. */
export const DEFAULT_LEASE_TTL_MS = 1000;

export function leasedSystem(ttlMs = DEFAULT_LEASE_TTL_MS): LeaseSystem {
  return {
    name: `leased, LEASE_TTL_MS=${ttlMs}`,
    ttlMs,
    object(specs) {
      const ledger = new LeaseLedger();
      const limits: LeasableLimit[] = specs.map((spec, i) => ({
        id: `limit-${i}`,
        limit: spec.limit,
        window: new SlidingWindow(spec.windowMs),
      }));
      /** Closes what the isolate reports and lets every limit see the leases still counted. */
      const settle = (lease: LeaseRequest, now: number) => {
        // As the key object: a closed lease's units join its limits' logs (WindowStore.foldLease).
        closeLeases(ledger, lease, undefined, now, (entry, at) => {
          for (const limit of limits) if (entry.limitIds.includes(limit.id)) limit.window.insert(entry.end, entry.units, at);
          return true;
        });
        for (const limit of limits) {
          limit.window.prune(now);
          limit.leases = ledger.leasesIn(limit.id);
        }
      };
      /** Admitted (a renewal admits nothing), with the next lease if the budget allows. */
      const allowed = (lease: LeaseRequest, now: number): LeaseDecision => {
        const granted = grantLease(ledger, limits, undefined, lease, ttlMs, now);
        if (granted) for (const limit of limits) limit.leases = ledger.leasesIn(limit.id);
        return { outcome: "allowed", policies: [], nearest: -1, ...(granted && { lease: granted }) };
      };
      return {
        check(now, cost, lease) {
          if (lease) settle(lease, now);
          else for (const limit of limits) limit.window.prune(now);
          const decision = decide(limits, now, cost);
          if (!decision.allowed)
            return {
              outcome: "rate_limited",
              policies: [],
              nearest: -1,
              ...(lease && { refuseForMs: refusalMs(limits, ledger, cost, ttlMs, now) }),
            };
          return lease ? allowed(lease, now) : { outcome: "allowed", policies: [], nearest: -1 };
        },
        renew(now, lease) {
          settle(lease, now);
          return allowed(lease, now);
        },
      };
    },
  };
}
