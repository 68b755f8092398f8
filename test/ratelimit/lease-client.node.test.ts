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
    events.runUntil(1100);
    revoked = true;
    request(1100); // the lease is over: asks the object (at 1110), which refuses the key
    for (let at = 1101; at < 1110; at++) request(at); // all wait for that call's answer (at 1120)
    for (let at = 1200; at < 2000; at += 100) request(at); // refused here until 1100 + TTL, with no call
    request(2150); // past the TTL: asks again
    events.runUntil(Number.POSITIVE_INFINITY);

    expect(outcomes).toEqual(["allowed", ...Array(10 + 8 + 1).fill("revoked_key")]);
    // The first call, then one per TTL: never one per waiting request.
    expect(calls.filter(({ call }) => call.kind === "check").map(({ at }) => at)).toEqual([10, 1110, 2160]);
  });

  it("lets no more requests wait for a slow lease's call than its last grant held, so none pays a second trip", () => {
    const { events, calls, outcomes, request } = scriptedKey((call) =>
      // As the object: a report with no demand behind it gets no lease.
      call.lease && call.lease.rate === 0 ? allowed() : allowed({ leaseId: 1, units: 2, ttlMs: 100, slow: true }),
    );
    request(0); // asks (at 10): a slow lease of 2 until 100
    request(5); // waits for that call (nothing known yet), then half of the lease is used: renewed (sent at 20, until 120)
    request(130); // the lease is over: asks with its report (at 140)
    for (let at = 131; at < 135; at++) request(at); // two wait for it (the last grant held 2), two ask on their own at once
    events.runUntil(Number.POSITIVE_INFINITY);

    expect(outcomes).toEqual(Array(7).fill("allowed"));
    const asked = calls
      .filter(({ call }) => call.kind === "check")
      .map(({ at, call }) => ({ at, lease: call.kind === "check" && call.lease !== undefined }));
    expect(asked).toEqual([
      { at: 10, lease: true },
      { at: 140, lease: true },
      { at: 143, lease: false },
      { at: 144, lease: false },
    ]);
  });
});
