// LEASE_TTL_MS=0 as a lease system: isolates hold nothing, every request asks the key's object,
// which decides it with the gateway's own sliding windows.
import { decide, type LimitState, SlidingWindow } from "../../src/ratelimit/sliding-window.ts";
import type { LeaseSystem } from "./cluster.ts";

export const unleasedSystem: LeaseSystem = {
  name: "LEASE_TTL_MS=0 (one object call per request)",
  ttlMs: 0,
  object(limits) {
    const states: LimitState[] = limits.map((l) => ({ limit: l.limit, window: new SlidingWindow(l.windowMs) }));
    return {
      check: (now, cost) => ({ outcome: decide(states, now, cost).allowed ? "allowed" : "rate_limited", policies: [], nearest: -1 }),
      renew: () => {
        throw new Error("no leases: nothing to renew");
      },
    };
  },
};
