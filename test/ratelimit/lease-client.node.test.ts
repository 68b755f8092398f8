// The lease client (src/ratelimit/lease-client.ts) on a virtual clock and scheduler: exact
// timelines the simulation's random schedules may or may not hit. No timers, no runtime.
import { describe, expect, it } from "vitest";
import { allowed, LEG_MS, scriptedKey, TTL_MS } from "../support/scripted-key";

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

  it("answers every request waiting on a call with the object's refusal of the key, and refuses the key here with no call for one TTL", () => {
    let revoked = false;
    const { events, calls, outcomes, request } = scriptedKey((call) => {
      if (revoked) return { outcome: "revoked_key", policies: [], nearest: -1 };
      return call.kind === "check" ? allowed({ leaseId: 1, units: 100, ttlMs: TTL_MS }) : allowed();
    });
    request(0); // asks: a lease of 100 from 0 (reported, unused, at 1040)
    events.runUntil(1050);
    revoked = true;
    request(1060); // the lease is over: asks the object (at 1070), which refuses the key
    for (let at = 1061; at < 1070; at++) request(at); // 1 request in 50 ms since the report is a busy key's rate: all wait for that answer (at 1080)
    for (let at = 1200; at < 2000; at += 100) request(at); // refused here until 1060 + TTL, with no call
    request(2150); // past the TTL: asks again
    events.runUntil(Number.POSITIVE_INFINITY);

    expect(outcomes).toEqual(["allowed", ...Array(10 + 8 + 1).fill("revoked_key")]);
    // The first call, then one per TTL: never one per waiting request.
    expect(calls.filter(({ call }) => call.kind === "check").map(({ at }) => at)).toEqual([10, 1070, 2160]);
  });

  it("lets nobody wait for the call of a key gone quiet while no answer bounded its waiters: each asks on its own, one trip", () => {
    const { events, calls, outcomes, request } = scriptedKey((call) =>
      call.kind === "check" ? allowed({ leaseId: 1, units: 100, ttlMs: TTL_MS }) : allowed(),
    );
    request(0); // asks: a busy slice of 100 from 0 (reported, unused, at 1010)
    events.runUntil(1100);
    request(1100); // the lease is over; 1 request in the 90 ms since the report asks for less than a busy slice: asks
    for (let at = 1101; at < 1104; at++) request(at); // its answer may lease nothing or fewer than them: they ask on their own
    events.runUntil(Number.POSITIVE_INFINITY);

    expect(outcomes).toEqual(Array(5).fill("allowed"));
    const asked = calls
      .filter(({ call }) => call.kind === "check")
      .map(({ at, call }) => ({ at, lease: call.kind === "check" && call.lease !== undefined }));
    expect(asked).toEqual([
      { at: 10, lease: true },
      { at: 1110, lease: true },
      { at: 1111, lease: false },
      { at: 1112, lease: false },
      { at: 1113, lease: false },
    ]);
  });

  it("lets requests wait for a slow lease's call only as far as its ask names them (the grant holds each), so none pays a second trip", () => {
    const { events, calls, outcomes, request } = scriptedKey((call) =>
      // As the object: a report with no demand behind it gets no lease; a slow slice far from the limit lets 2 wait.
      call.lease && call.lease.rate === 0 ? allowed() : allowed({ leaseId: 1, units: 2, ttlMs: 100, slow: true, waiters: 2 }),
    );
    request(0); // asks (at 10): a slow lease of 2 until 100
    request(5); // waits for that call (nothing known yet), then half of the lease is used: renewed (sent at 20, until 120)
    request(130); // the lease is over: asks with its report (at 140), naming 2 waiters
    for (let at = 131; at < 135; at++) request(at); // two wait for it, two ask on their own at once
    events.runUntil(Number.POSITIVE_INFINITY);

    expect(outcomes).toEqual(Array(7).fill("allowed"));
    const asked = calls
      .filter(({ call }) => call.kind === "check")
      .map(({ at, call }) => ({ at, lease: call.kind === "check" && call.lease !== undefined, waiting: call.lease?.waiting }));
    expect(asked).toEqual([
      { at: 10, lease: true, waiting: undefined },
      { at: 140, lease: true, waiting: 2 },
      { at: 143, lease: false, waiting: undefined },
      { at: 144, lease: false, waiting: undefined },
    ]);
  });

  it("decides every request that waited for a call by its answer: a limit's refusal or a full grant refuses it here, with no second call", () => {
    let answer: "refused" | "full" = "refused";
    const { events, calls, outcomes, request } = scriptedKey((call) => {
      // As the object: a renewal decides no request (nothing to refuse), a report with no demand gets no lease.
      if (call.kind === "renew" || !call.lease) return allowed();
      if (answer === "full") return allowed({ leaseId: 2, units: 1, ttlMs: TTL_MS, full: true });
      return { outcome: "rate_limited", policies: [], nearest: -1, retryAfter: 3, refuseForMs: 0 };
    });
    request(0); // asks (at 10): the object refuses its limit, though a lease elsewhere may still give units back
    for (let at = 1; at < 5; at++) request(at); // wait for that answer: refused with it, no call of their own
    events.runUntil(100);
    answer = "full";
    request(100); // asks (at 110): admitted there, with a full slice of 1, the last unit free
    for (let at = 101; at < 105; at++) request(at); // wait for it: the first takes that unit, the others are refused here
    events.runUntil(Number.POSITIVE_INFINITY);

    expect(outcomes).toEqual([...Array(5).fill("rate_limited"), "allowed", "allowed", ...Array(3).fill("rate_limited")]);
    expect(calls.filter(({ call }) => call.kind === "check").map(({ at }) => at)).toEqual([10, 110]);
    // Refused here, they reach the key's usage with the next call (the background report).
    expect(calls.reduce((sum, { call }) => sum + (call.lease?.refused ?? 0), 0)).toBe(4 + 3);
  });
});
