// The gateway's lease modules as a lease system: the object's ledger and sliding windows
// (src/ratelimit/lease-ledger.ts, sliding-window.ts) and one isolate lease slot per isolate
// (src/ratelimit/lease-holder.ts), composed as the key's object composes them for one limit set.
import { type LeaseSlot, type SentAsk, LeaseSlot as Slot } from "../../src/ratelimit/lease-holder.ts";
import { closeLeases, grantLease, type LeasableLimit, type LeaseGrant, LeaseLedger, refusalMs } from "../../src/ratelimit/lease-ledger.ts";
import { decide, SlidingWindow } from "../../src/ratelimit/sliding-window.ts";
import type { LeaseSystem } from "./cluster.ts";

/** LEASE_TTL_MS's default. */
export const DEFAULT_LEASE_TTL_MS = 1000;

/** A refusal carries only how long it may be repeated here, and for which cost; the simulation needs no more of it. */
type Answer = { grant: LeaseGrant | undefined; refusal: { refuseForMs: number; cost: number } | undefined };

export function leasedSystem(ttlMs = DEFAULT_LEASE_TTL_MS): LeaseSystem<SentAsk, Answer> {
  return {
    name: `leased, LEASE_TTL_MS=${ttlMs}`,
    object(specs) {
      const ledger = new LeaseLedger();
      const limits: LeasableLimit[] = specs.map((spec, i) => ({
        id: `limit-${i}`,
        limit: spec.limit,
        window: new SlidingWindow(spec.windowMs),
      }));
      /** Closes what the isolate reports and lets every limit see the leases still counted. */
      const settle = (ask: SentAsk, now: number) => {
        closeLeases(ledger, ask, undefined, now);
        for (const limit of limits) {
          limit.window.prune(now);
          limit.leases = ledger.leasesIn(limit.id);
        }
      };
      const grant = (ask: SentAsk, now: number) => {
        const granted = grantLease(ledger, limits, undefined, ask, ttlMs, now);
        if (granted) for (const limit of limits) limit.leases = ledger.leasesIn(limit.id);
        return granted;
      };
      return {
        decide(now, cost, ask) {
          if (ask) settle(ask, now);
          else for (const limit of limits) limit.window.prune(now);
          const decision = decide(limits, now, cost);
          if (!decision.allowed) {
            const refusal = { refuseForMs: refusalMs(limits, ledger, cost, ttlMs, now), cost };
            return { allowed: false, answer: { grant: undefined, refusal } };
          }
          return { allowed: true, answer: { grant: ask && grant(ask, now), refusal: undefined } };
        },
        renew(now, ask) {
          settle(ask, now);
          return { grant: grant(ask, now), refusal: undefined };
        },
      };
    },
    holder(isolate) {
      const slot: LeaseSlot<true> = new Slot(`isolate-${isolate}`, 0);
      return {
        observe: (cost) => slot.observe(cost),
        step: (now, cost, calling, waited) => slot.step(cost, now, calling, waited).kind,
        wantsRenewal: (now) => slot.wantsRenewal(now),
        ask: (now) => slot.ask(now),
        take(ask, { grant, refusal }) {
          if (grant) slot.grant(ask, grant, true);
          else if (refusal) slot.refuse(ask, true, refusal.refuseForMs, ttlMs, refusal.cost);
          else slot.unleased();
        },
      };
    },
  };
}
