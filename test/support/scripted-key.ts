// One isolate's lease client (src/ratelimit/lease-client.ts) against a key's object that answers from
// a script, on a virtual clock and scheduler: each call and each answer takes `LEG_MS` one way.
import { EventQueue } from "../../bench/leases/event-queue";
import {
  type LeaseAdmission,
  LeaseClient,
  type LeaseDecision,
  type LeaseTransport,
  type ObjectCall,
} from "../../src/ratelimit/lease-client";

export const TTL_MS = 1000;
/** One way, each call and each answer. */
export const LEG_MS = 10;
/** A request of one unit of the scripted key. */
export const admission: LeaseAdmission = { keyId: "key", route: "/", version: 1, cost: 1, bounded: true, ttlMs: TTL_MS };

/** The client, its object's transport, the calls the object saw (when), and `request(at)` whose outcomes land in `outcomes`. */
export function scriptedKey(answer: (call: ObjectCall) => LeaseDecision) {
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
  const request = (at: number) =>
    events.schedule(at, () =>
      client.admit(
        admission,
        transport,
        (decision) => outcomes.push(decision.outcome),
        (error) => outcomes.push(String(error)),
      ),
    );
  return { events, client, transport, calls, outcomes, request };
}

/** An admitting answer, with `lease` when given. */
export const allowed = (lease?: LeaseDecision["lease"]): LeaseDecision => ({
  outcome: "allowed",
  policies: [],
  nearest: -1,
  ...(lease && { lease }),
});
