// The lease client (src/ratelimit/lease-client.ts) on a virtual clock and scheduler: exact
// timelines the simulation's random schedules may or may not hit. No timers, no runtime.
import { describe, expect, it } from "vitest";
import { EventQueue } from "../../bench/leases/event-queue";
import { LeaseClient, type LeaseDecision, type LeaseTransport, type ObjectCall } from "../../src/ratelimit/lease-client";

const TTL_MS = 1000;
/** One way, each call and each answer. */
const LEG_MS = 10;

/** A key's object that answers from a script, and what it was sent, when. */
function scriptedKey(answer: (call: ObjectCall) => LeaseDecision) {
  const events = new EventQueue();
  const client = new LeaseClient({ clock: () => events.now, isolateId: () => "isolate-a" });
  const calls: { at: number; call: ObjectCall }[] = [];
  const transport: LeaseTransport = {
    call(call, answered) {
      events.schedule(events.now + LEG_MS, () => {
        calls.push({ at: events.now, call });
        const decision = answer(call);
        events.schedule(events.now + LEG_MS, () => answered(decision));
      });
    },
    later: (delayMs, task) => events.schedule(events.now + delayMs, task),
  };
  const outcomes: string[] = [];
  /** A request of one unit at `at`. */
  const request = (at: number) =>
    events.schedule(at, () =>
      client.admit(
        { keyId: "key", route: "/", version: 1, cost: 1, bounded: true, ttlMs: TTL_MS },
        transport,
        (decision) => outcomes.push(decision.outcome),
        (error) => outcomes.push(String(error)),
      ),
    );
  return { events, calls, outcomes, request };
}

const allowed = (lease?: LeaseDecision["lease"]): LeaseDecision => ({
  outcome: "allowed",
  policies: [],
  nearest: -1,
  ...(lease && { lease }),
});

describe("lease client", () => {
  it("reports a lease still in use after an answer that brought none, once traffic stops: every admission reaches the object", () => {
    const { events, calls, outcomes, request } = scriptedKey((call) =>
      call.kind === "check" ? allowed({ leaseId: 1, units: 10, ttlMs: TTL_MS }) : allowed(),
    );
    request(0); // asks the object: admitted there, with a lease of 10 from 0 to 1000
    for (let at = 100; at < 105; at++) request(at); // from the lease; the 5th (half used) renews in the background
    request(110); // from the lease while the renewal is in flight...
    request(111); // ...which is answered at 124 with no lease; then silence
    events.runUntil(Number.POSITIVE_INFINITY);

    expect(outcomes).toEqual(Array(8).fill("allowed"));
    const sent = calls.map(({ at, call }) => ({ at, kind: call.kind, admitted: call.lease?.admitted, closed: call.lease?.closed }));
    expect(sent).toEqual([
      { at: 10, kind: "check", admitted: 0, closed: [] },
      { at: 114, kind: "renew", admitted: 5, closed: [] },
      // One TTL (+10 ms) after the lease-less answer: the two admitted meanwhile, and the lease closed at its use.
      { at: 124 + TTL_MS + 10 + LEG_MS, kind: "renew", admitted: 2, closed: [{ leaseId: 1, used: 7 }] },
    ]);
    expect(sent.reduce((sum, s) => sum + (s.admitted ?? 0), 0)).toBe(7);
  });
});
