// The lease client adopting an answer it did not send (src/ratelimit/lease-client.ts `adopt`): a
// cold key's `resolve` asks with `coldKeyAsk` and brings a lease back. Virtual clock and scheduler,
// as in lease-client.node.test.ts: no timers, no runtime.
import { describe, expect, it } from "vitest";
import { coldKeyAsk, type LeaseDecision, type ObjectCall } from "../../src/ratelimit/lease-client";
import { defaultLeasePolicy, grantLease, LeaseLedger } from "../../src/ratelimit/lease-ledger";
import { SlidingWindow } from "../../src/ratelimit/sliding-window";
import { admission, allowed, LEG_MS, scriptedKey as scriptedWith, TTL_MS } from "../support/scripted-key";

/** The scripted key, and `resolved`, which hands the client an answer to a `resolve` sent at `sentAt`. */
function scriptedKey(answer: (call: ObjectCall) => LeaseDecision) {
  const key = scriptedWith(answer);
  const { events, client, transport } = key;
  /** A `resolve` sent at `sentAt` (`asked`: with a lease ask) answered with `decision`; its outcome goes to `resolvedAs`. */
  const resolvedAs: string[] = [];
  const resolved = (sentAt: number, decision: LeaseDecision, asked = true, answeredAt = sentAt + 2 * LEG_MS) =>
    events.schedule(answeredAt, () => {
      const sent = asked ? { ...coldKeyAsk("isolate-a", TTL_MS), sentAt } : undefined;
      resolvedAs.push(client.adopt(admission, sent, decision, transport).outcome);
    });
  return { ...key, resolved, resolvedAs };
}

/** What each call carried: its kind and reports. */
const sentOf = (calls: { at: number; call: ObjectCall }[]) =>
  calls.map(({ at, call }) => ({
    at,
    kind: call.kind,
    admitted: call.lease?.admitted,
    closed: call.lease?.closed,
    using: call.lease?.using,
  }));

describe("coldKeyAsk", () => {
  it("asks a key's object for a slow key's smallest lease, counted in its ledger", () => {
    const ledger = new LeaseLedger();
    const window = new SlidingWindow(60_000);
    const limit = { id: "minute", limit: 100, window, leases: ledger.leasesIn("minute") };
    const grant = grantLease(ledger, [limit], undefined, coldKeyAsk("isolate-a", TTL_MS), TTL_MS, 0);
    expect(grant).toMatchObject({ units: 1, slow: true, ttlMs: Math.min(TTL_MS, 60_000 * defaultLeasePolicy.slowWindowShare) });
    expect(ledger.leasesIn("minute")).toEqual([{ end: grant!.ttlMs, units: 1 }]);
  });
});

describe("lease client adopting a resolve's answer", () => {
  it("admits the key's next request within the lease with no call, and reports the lease once traffic stops", () => {
    const { events, calls, outcomes, request, resolved } = scriptedKey(() => allowed());
    resolved(0, allowed({ leaseId: 7, units: 4, ttlMs: TTL_MS, slow: true })); // back at 20: a lease of 4 until 1000
    request(400); // from the lease: no call (and no renewal: a quarter used, before half its TTL)
    events.runUntil(Number.POSITIVE_INFINITY);

    expect(outcomes).toEqual(["allowed"]);
    // Once the lease is over (+10 ms), one TTL after the resolve was sent: closed at its use, and the request admitted from it.
    expect(sentOf(calls)).toEqual([{ at: TTL_MS + 10 + LEG_MS, kind: "renew", admitted: 1, closed: [{ leaseId: 7, used: 1 }] }]);
  });

  it("reports a lease that arrives after its TTL at once, unused", () => {
    const { events, calls, resolved } = scriptedKey(() => allowed());
    // Sent at 0, answered at 1200 (a slow call): its lease of 1, until 1000, is over.
    resolved(0, allowed({ leaseId: 7, units: 1, ttlMs: TTL_MS, slow: true }), true, 1200);
    events.runUntil(Number.POSITIVE_INFINITY);
    expect(sentOf(calls)).toEqual([{ at: 1200 + 10 + LEG_MS, kind: "renew", admitted: 0, closed: [{ leaseId: 7, used: 0 }] }]);
  });

  it("counts the lease from the resolve's send, not its answer", () => {
    const { events, calls, outcomes, request, resolved } = scriptedKey(() => allowed());
    resolved(0, allowed({ leaseId: 7, units: 4, ttlMs: TTL_MS, slow: true }));
    request(1005); // past sentAt + TTL: asks the object
    events.runUntil(1100);
    expect(outcomes).toEqual(["allowed"]);
    expect(calls.map(({ at, call }) => ({ at, kind: call.kind }))).toEqual([{ at: 1015, kind: "check" }]);
  });

  it("refuses the key's next requests here on a zero lease, and reports those refusals", () => {
    const { events, calls, outcomes, request, resolved } = scriptedKey(() => allowed());
    resolved(0, { outcome: "rate_limited", policies: [], nearest: -1, retryAfter: 1, refuseForMs: 500 });
    request(100); // refused here, with no call
    request(600); // the refusal is over: asks the object
    events.runUntil(Number.POSITIVE_INFINITY);

    expect(outcomes).toEqual(["rate_limited", "allowed"]);
    expect(sentOf(calls).map(({ at, kind, admitted }) => ({ at, kind, admitted }))).toEqual([{ at: 610, kind: "check", admitted: 0 }]);
    expect(calls[0]!.call.lease?.refused).toBe(1);
  });

  it("refuses a key its object refused with no call for one TTL from the resolve's send", () => {
    const { events, calls, outcomes, request, resolved } = scriptedKey(() => ({ outcome: "revoked_key", policies: [], nearest: -1 }));
    resolved(0, { outcome: "revoked_key", policies: [], nearest: -1 });
    request(500);
    request(990);
    request(1005); // past sentAt + TTL: asks again
    events.runUntil(Number.POSITIVE_INFINITY);

    expect(outcomes).toEqual(["revoked_key", "revoked_key", "revoked_key"]);
    expect(calls.map(({ at, call }) => ({ at, kind: call.kind }))).toEqual([{ at: 1015, kind: "check" }]);
  });

  it("takes nothing from an answer with no lease: the key's next request asks the object", () => {
    const { events, calls, outcomes, request, resolved } = scriptedKey(() => allowed());
    resolved(0, allowed());
    request(100);
    events.runUntil(Number.POSITIVE_INFINITY);

    expect(outcomes).toEqual(["allowed"]);
    expect(calls.map(({ at, call }) => ({ at, kind: call.kind, leased: call.lease !== undefined }))).toEqual([
      { at: 110, kind: "check", leased: true },
    ]);
  });

  it("admits a racing resolve's refusal at the limit from the lease another brought, while it has a unit", () => {
    const { events, calls, resolved, resolvedAs } = scriptedKey(() => allowed());
    const atLimit: LeaseDecision = { outcome: "rate_limited", policies: [], nearest: -1, retryAfter: 30 };
    resolved(0, allowed({ leaseId: 7, units: 1, ttlMs: TTL_MS, slow: true })); // the one that asked: back at 20
    resolved(5, atLimit, false); // raced it, refused at the limit: admitted from the lease's unit
    resolved(6, atLimit, false); // the lease is used up: refused
    events.runUntil(Number.POSITIVE_INFINITY);

    expect(resolvedAs).toEqual(["allowed", "allowed", "rate_limited"]);
    // The admission from the lease is reported with the lease.
    expect(sentOf(calls)).toEqual([{ at: TTL_MS + 10 + LEG_MS, kind: "renew", admitted: 1, closed: [{ leaseId: 7, used: 1 }] }]);
  });

  it("never uses the lease of a resolve other requests raced: it is reported closed unused, and the key's next request asks", () => {
    const { events, calls, client, transport, outcomes, request } = scriptedKey(() => allowed());
    const sent = { ...coldKeyAsk("isolate-a", TTL_MS), sentAt: 0 };
    events.schedule(20, () =>
      outcomes.push(client.adopt(admission, sent, allowed({ leaseId: 7, units: 1, ttlMs: TTL_MS, slow: true }), transport, true).outcome),
    );
    request(100); // asks the object: the lease is not used here
    events.runUntil(Number.POSITIVE_INFINITY);

    expect(outcomes).toEqual(["allowed", "allowed"]);
    expect(sentOf(calls)).toEqual([{ at: 110, kind: "check", admitted: 0, closed: [{ leaseId: 7, used: 0 }], using: undefined }]);
  });

  it("takes no lease from an answer to a resolve that asked none", () => {
    const { events, calls, outcomes, request, resolved } = scriptedKey(() => allowed());
    resolved(0, allowed({ leaseId: 7, units: 4, ttlMs: TTL_MS, slow: true }), false);
    request(100); // asks the object
    events.runUntil(Number.POSITIVE_INFINITY);
    expect(outcomes).toEqual(["allowed"]);
    expect(calls.map(({ at, call }) => ({ at, kind: call.kind }))).toEqual([{ at: 110, kind: "check" }]);
  });

  it("into a slot it already holds: the old lease closes at its use, and the slot's reports go with its next call", () => {
    const { events, calls, outcomes, request, resolved } = scriptedKey((call) =>
      call.kind === "check" ? allowed({ leaseId: 1, units: 10, ttlMs: TTL_MS }) : allowed(),
    );
    request(0); // asks: admitted there, with a lease of 10 until 1000
    request(100); // from lease 1
    resolved(180, allowed({ leaseId: 2, units: 4, ttlMs: TTL_MS, slow: true })); // back at 200: lease 2 until 1180 replaces lease 1
    request(300); // from lease 2
    events.runUntil(Number.POSITIVE_INFINITY);

    expect(outcomes).toEqual(["allowed", "allowed", "allowed"]);
    expect(sentOf(calls)).toEqual([
      { at: 10, kind: "check", admitted: 0, closed: [], using: undefined },
      // The first answer's report, one TTL after it: lease 1 closed, lease 2 in use, both admissions here.
      { at: 20 + TTL_MS + 10 + LEG_MS, kind: "renew", admitted: 2, closed: [{ leaseId: 1, used: 1 }], using: { leaseId: 2, used: 1 } },
      // And lease 2 once it ran out.
      { at: 1050 + TTL_MS + 10 + LEG_MS, kind: "renew", admitted: 0, closed: [{ leaseId: 2, used: 1 }], using: undefined },
    ]);
  });
});
