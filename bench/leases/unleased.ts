// LEASE_TTL_MS=0 as a lease system: isolates hold nothing, every request asks the key's object,
// which decides it with the gateway's own sliding windows.
import { decide, type LimitState, SlidingWindow } from "../../src/ratelimit/sliding-window.ts";
import type { LeaseSystem } from "./cluster.ts";

export const unleasedSystem: LeaseSystem<undefined, undefined> = {
  name: "LEASE_TTL_MS=0 (one object call per request)",
  object(limits) {
    const states: LimitState[] = limits.map((l) => ({ limit: l.limit, window: new SlidingWindow(l.windowMs) }));
    const decideExactly = (now: number, cost: number) => decide(states, now, cost).allowed;
    return {
      decide: (now, cost) => ({ allowed: decideExactly(now, cost), answer: undefined }),
      renew: () => undefined,
    };
  },
  holder: () => ({
    observe: () => {},
    step: () => "call",
    wantsRenewal: () => false,
    ask: () => undefined,
    take: () => {},
  }),
};
