import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LeaseSlot } from "../../src/ratelimit/lease-holder";
import {
  closeLeases,
  defaultLeasePolicy,
  grantLease,
  type LeaseEntry,
  LeaseLedger,
  type LeasePolicy,
  refusalMs,
} from "../../src/ratelimit/lease-ledger";
import { SlidingWindow } from "../../src/ratelimit/sliding-window";
import { busiestWindow, exactAdmitted, type SimLimit, type SimOptions, type SimRequest, simulate } from "../support/lease-simulation";
import { propertyRuns } from "../support/properties";

const SECOND = 1000;
const DAY = 86_400 * SECOND;

/** Deterministic request times from a seed: each isolate gets a share of the demand, uniformly spread. */
function requestsFor(seed: number, isolates: number, units: number, durationMs: number, maxCost: number, start = 0): SimRequest[] {
  let a = seed >>> 0;
  const rand = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out: SimRequest[] = [];
  for (let sent = 0; sent < units; ) {
    const cost = 1 + Math.floor(rand() * maxCost);
    out.push({ isolate: Math.floor(rand() * isolates), at: start + Math.floor(rand() * durationMs), cost });
    sent += cost;
  }
  return out;
}

/** Every limit's busiest sliding window, and every quota period, against the real admission times. */
function expectBoundHeld(options: Pick<SimOptions, "limits" | "quota">, admissions: { at: number; cost: number }[]): void {
  for (const limit of options.limits)
    expect(busiestWindow(admissions, limit.windowMs), `limit ${limit.id}`).toBeLessThanOrEqual(limit.limit);
  const quota = options.quota;
  if (quota) {
    const perPeriod = new Map<number, number>();
    for (const a of admissions) {
      const period = Number.isFinite(quota.periodMs) ? Math.floor(a.at / quota.periodMs) : 0;
      perPeriod.set(period, (perPeriod.get(period) ?? 0) + a.cost);
    }
    for (const used of perPeriod.values()) expect(used).toBeLessThanOrEqual(quota.limit);
  }
}

const limitArb = fc.record({
  limit: fc.oneof(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 200, max: 10_000 })),
  windowMs: fc.oneof(fc.integer({ min: SECOND, max: 20 * SECOND }), fc.integer({ min: 20 * SECOND, max: DAY })),
});

/** Any sizing at all must keep the bound: the aggressive one leases most of the budget to whoever asks. */
const policyArb: fc.Arbitrary<LeasePolicy> = fc.oneof(
  fc.constant(defaultLeasePolicy),
  fc.record({
    share: fc.constantFrom(1 / 2, 1),
    minUnits: fc.constant(1),
    windowShare: fc.constantFrom(1, 10),
    slowWindowShare: fc.constantFrom(1, 10),
    minTtlMs: fc.constant(1),
    quotaShare: fc.constant(1),
    slowWaitersMargin: fc.constantFrom(0, 4),
  }),
);

const scheduleArb = fc.record({
  seed: fc.integer(),
  isolates: fc.integer({ min: 2, max: 9 }),
  limits: fc.array(limitArb, { minLength: 1, maxLength: 3 }),
  quota: fc.option(
    fc.record({
      limit: fc.integer({ min: 1, max: 10_000 }),
      periodMs: fc.oneof(fc.integer({ min: SECOND, max: 60 * SECOND }), fc.constant(Infinity)),
    }),
    { nil: undefined },
  ),
  ttlMs: fc.integer({ min: 20, max: 3000 }),
  policy: policyArb,
  demand: fc.double({ min: 0.3, max: 3, noNaN: true }),
  windowsLong: fc.double({ min: 0.5, max: 3, noNaN: true }),
  delayMs: fc.tuple(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 60 })),
  lateRate: fc.constantFrom(0, 0.05, 0.3),
  lostRate: fc.constantFrom(0, 0.02, 0.2),
  crashShare: fc.constantFrom(0, 0.3, 0.6),
  restarts: fc.integer({ min: 0, max: 4 }),
  clockSkewMs: fc.constantFrom(0, 5_000, 3_600_000),
});

type Schedule = typeof scheduleArb extends fc.Arbitrary<infer T> ? T : never;

function optionsFor(s: Schedule): SimOptions {
  const limits: SimLimit[] = s.limits.map((l, i) => ({ id: `limit-${i}`, ...l }));
  const tightest = limits.reduce((a, b) => (a.limit / a.windowMs < b.limit / b.windowMs ? a : b));
  const durationMs = Math.max(2 * s.ttlMs, Math.round(tightest.windowMs * s.windowsLong));
  // Demand relative to the tightest limit, at most ~5,000 requests: large limits get costlier requests.
  const units = Math.max(1, Math.round(s.demand * tightest.limit * (durationMs / tightest.windowMs)));
  const maxCost = Math.max(1, Math.ceil(units / 5000));
  const requests = requestsFor(s.seed, s.isolates, units, durationMs, Math.min(maxCost, tightest.limit));
  const crashes = Array.from({ length: Math.round(s.isolates * s.crashShare) }, (_, i) => ({
    isolate: i,
    at: Math.floor(((i + 1) * durationMs) / (s.isolates + 1)),
  }));
  const restarts = Array.from({ length: s.restarts }, (_, i) => Math.floor(((i + 0.5) * durationMs) / s.restarts));
  return {
    limits,
    quota: s.quota,
    ttlMs: s.ttlMs,
    policy: s.policy,
    isolates: s.isolates,
    requests,
    seed: s.seed,
    delayMs: [Math.min(...s.delayMs), Math.max(...s.delayMs)],
    lateRate: s.lateRate,
    lostRate: s.lostRate,
    callTimeoutMs: 3000,
    crashes,
    restarts,
    clockSkewMs: s.clockSkewMs,
  };
}

describe("leases keep the hard bound", () => {
  it("admits at most the limit in every sliding window of every limit, and never overspends the quota, whatever the schedule", () => {
    fc.assert(
      fc.property(scheduleArb, (schedule) => {
        const options = optionsFor(schedule);
        const { admissions } = simulate(options);
        expectBoundHeld(options, admissions);
      }),
      propertyRuns(150, { endOnFailure: true }),
    );
  }, 300_000);

  it("holds for an identity's shared limits and quota, and each key's own, with several keys leasing from the identity's object", () => {
    const identityArb = fc.record({
      keys: fc.integer({ min: 2, max: 4 }),
      limits: fc.array(limitArb, { minLength: 1, maxLength: 2 }),
      quota: scheduleArb.map((s) => s.quota),
    });
    fc.assert(
      fc.property(scheduleArb, identityArb, (schedule, identity) => {
        const base = optionsFor(schedule);
        const shared = identity.limits.map((l, i) => ({ id: `shared-${i}`, ...l }));
        // Demand sized on the key's limits, spread over the keys: the shared limits are often the tighter.
        const requests = base.requests.map((r, i) => ({ ...r, key: i % identity.keys }));
        const options: SimOptions = { ...base, requests, identity: { keys: identity.keys, limits: shared, quota: identity.quota } };
        const { admissions } = simulate(options);
        expectBoundHeld({ limits: shared, quota: identity.quota }, admissions);
        for (let key = 0; key < identity.keys; key++)
          expectBoundHeld(
            options,
            admissions.filter((a) => a.key === key),
          );
      }),
      propertyRuns(100, { endOnFailure: true }),
    );
  }, 300_000);

  it("counts what it admits: after the traffic, the object counts at least every admission still in its window", () => {
    fc.assert(
      fc.property(scheduleArb, (schedule) => {
        const options = { ...optionsFor(schedule), lostRate: 0 };
        const { admissions, countedAt, lastCallAt } = simulate(options);
        const end = Math.max(lastCallAt, ...admissions.map((a) => a.at));
        const counted = countedAt(end);
        for (const [i, limit] of options.limits.entries()) {
          const inWindow = admissions.filter((a) => a.at > end - limit.windowMs).reduce((sum, a) => sum + a.cost, 0);
          expect(counted[i]).toBeGreaterThanOrEqual(inWindow);
        }
      }),
      propertyRuns(60, { endOnFailure: true }),
    );
  }, 300_000);
});

describe("small limits stay exact", () => {
  it("admits exactly 120 of 300 parallel requests spread over several isolates", () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 2, max: 9 }), fc.integer({ min: 0, max: 40 }), (seed, isolates, maxDelay) => {
        const options: SimOptions = {
          limits: [{ id: "minute", limit: 120, windowMs: 60 * SECOND }],
          ttlMs: 1000,
          isolates,
          requests: Array.from({ length: 300 }, (_, i) => ({ isolate: i % isolates, at: 0, cost: 1 })),
          seed,
          delayMs: [0, maxDelay],
        };
        const { admissions, refused, countedAt } = simulate(options);
        expect(admissions.length).toBe(120);
        expect(refused).toBe(180);
        // A denied request consumed nothing: the object counts exactly what was admitted.
        expect(countedAt(1)).toEqual([120]);
      }),
      propertyRuns(40, { endOnFailure: true }),
    );
  }, 300_000);
});

describe("no stranded budget", () => {
  it("holds at most two unreported leases per isolate, and every lease leaves the count one window after its end", () => {
    fc.assert(
      fc.property(scheduleArb, (schedule) => {
        // Answers all arrive (a grant whose answer is lost is stranded too, until it leaves the windows).
        const options = { ...optionsFor(schedule), lostRate: 0, lateRate: 0 };
        const { ledger, countedAt, lastCallAt } = simulate(options);
        const perIsolate = new Map<string, number>();
        for (const lease of ledger) if (!lease.closed) perIsolate.set(lease.isolateId, (perIsolate.get(lease.isolateId) ?? 0) + 1);
        for (const open of perIsolate.values()) expect(open).toBeLessThanOrEqual(2);
        const longest = Math.max(...options.limits.map((l) => l.windowMs));
        // A request the object admitted may never have been served (its isolate died): it still counts.
        // (+1: the simulation's times are fractional, and t + w − w need not round back to t.)
        const turnedOver = Math.max(lastCallAt + longest, ...ledger.map((l) => l.forgetAt)) + 1;
        expect(countedAt(turnedOver)).toEqual(options.limits.map(() => 0));
      }),
      propertyRuns(60, { endOnFailure: true }),
    );
  }, 300_000);

  /** Leased admissions over four windows of steady demand (`demand` × the limit), as a share of an exact limiter's. */
  function shareOfExact(seed: number, isolates: number, limit: number, windowMs: number, demand: number): number {
    const durationMs = 4 * windowMs;
    const units = Math.round(demand * limit * 4);
    const options: SimOptions = {
      limits: [{ id: "window", limit, windowMs }],
      ttlMs: 1000,
      isolates,
      requests: requestsFor(seed, isolates, units, durationMs, Math.max(1, Math.ceil(units / 8000))),
      seed,
      delayMs: [1, 30],
    };
    const admitted = simulate(options).admissions.reduce((sum, a) => sum + a.cost, 0);
    return admitted / exactAdmitted(options);
  }

  it("admits at least 99% of what an exact limiter admits under steady demand at or above the limit", () => {
    fc.assert(
      fc.property(
        fc.integer(),
        fc.integer({ min: 2, max: 9 }),
        fc.integer({ min: 200, max: 10_000 }),
        fc.integer({ min: 10 * SECOND, max: DAY }),
        fc.double({ min: 1, max: 3, noNaN: true }),
        (seed, isolates, limit, windowMs, demand) => {
          expect(shareOfExact(seed, isolates, limit, windowMs, demand)).toBeGreaterThanOrEqual(0.99);
        },
      ),
      propertyRuns(40, { seed: 1, endOnFailure: true }),
    );
  }, 300_000);

  it("admits at least 99.5% of what an exact limiter admits at demand near the limit on short windows, where the most is held in leases", () => {
    fc.assert(
      fc.property(
        fc.integer(),
        fc.integer({ min: 2, max: 9 }),
        fc.integer({ min: 200, max: 10_000 }),
        // Leases live 1/100 of the window: on short windows a round trip is a large share of one.
        fc.integer({ min: 10 * SECOND, max: 20 * SECOND }),
        fc.oneof(fc.double({ min: 1, max: 1.1, noNaN: true }), fc.double({ min: 1, max: 3, noNaN: true })),
        (seed, isolates, limit, windowMs, demand) => {
          expect(shareOfExact(seed, isolates, limit, windowMs, demand)).toBeGreaterThanOrEqual(0.995);
        },
      ),
      propertyRuns(80, { seed: 2, endOnFailure: true }),
    );
  }, 300_000);
});

describe("busy keys decide locally", () => {
  it("answers most requests of a busy key from leases, without asking the object", () => {
    const options: SimOptions = {
      limits: [{ id: "minute", limit: 1_000_000, windowMs: 60 * SECOND }],
      ttlMs: 1000,
      isolates: 8,
      requests: requestsFor(1, 8, 80_000, 10 * SECOND, 1),
      seed: 1,
      delayMs: [1, 20],
    };
    const result = simulate(options);
    expect(result.admissions.length).toBe(80_000);
    expect(result.objectCalls / result.requests).toBeLessThan(0.05);
  }, 60_000);
});

describe("one hot key past the object's ceiling", () => {
  it("admits 12,000 requests/s through 16 isolates while the object serves at most 1,000 calls/s, within the limit", () => {
    const isolates = 16;
    const perSecond = 12_000;
    const seconds = 10;
    const requests = Array.from({ length: perSecond * seconds }, (_, i) => ({
      isolate: i % isolates,
      at: (i * 1000) / perSecond,
      cost: 1,
    }));
    const options: SimOptions = {
      limits: [{ id: "minute", limit: 1_000_000, windowMs: 60 * SECOND }],
      ttlMs: 1000,
      isolates,
      requests,
      seed: 7,
      delayMs: [1, 50],
      objectCallsPerSecond: 1000,
    };
    const result = simulate(options);
    console.log(
      `hot key: ${result.admissions.length / seconds} admitted/s of ${perSecond}/s offered, ${result.objectCalls} object calls (${((100 * result.objectCalls) / result.requests).toFixed(2)}% of requests)`,
    );
    expect(result.admissions.length / seconds).toBeGreaterThanOrEqual(10_000);
    expectBoundHeld(options, result.admissions);
  }, 60_000);
});

describe("one hot key at its limit", () => {
  it("admits at least 99% of what an exact limiter admits at 1.2–2.5× the limit, with the object's calls under its ceiling", () => {
    fc.assert(
      fc.property(
        fc.integer(),
        // Each isolate sees at least 16 requests per lease TTL (else it decides per request).
        fc.integer({ min: 4, max: 8 }),
        fc.integer({ min: 1500, max: 4000 }),
        // A lease lives at most 1/100 of the window: from 10 s on, it outlives a 100 ms round trip.
        fc.integer({ min: 10, max: 15 }),
        fc.double({ min: 1.2, max: 2.5, noNaN: true }),
        (seed, isolates, perSecond, windowSeconds, demand) => {
          const windowMs = windowSeconds * SECOND;
          const limit = perSecond * windowSeconds;
          const durationMs = 2 * windowMs;
          const options: SimOptions = {
            limits: [{ id: "window", limit, windowMs }],
            ttlMs: 1000,
            isolates,
            requests: requestsFor(seed, isolates, Math.round(demand * perSecond * 2 * windowSeconds), durationMs, 1),
            seed,
            delayMs: [5, 50],
            objectCallsPerSecond: 1000,
          };
          const leased = simulate(options);
          expectBoundHeld(options, leased.admissions);
          expect(leased.admissions.length).toBeGreaterThanOrEqual(0.99 * exactAdmitted(options));
          expect(leased.objectCalls / (durationMs / SECOND)).toBeLessThanOrEqual(1000);
        },
      ),
      propertyRuns(6, { endOnFailure: true }),
    );
  }, 300_000);
});

describe("lease ledger", () => {
  const minute = () => ({
    id: "minute",
    limit: 10_000,
    window: new SlidingWindow(60 * SECOND),
    leases: [] as { end: number; units: number }[],
  });
  const ask = { isolateId: "a", closed: [], rate: 1000 };

  it("counts a lease as an entry at its end, in every window that reaches it", () => {
    const ledger = new LeaseLedger();
    const grant = grantLease(ledger, [minute()], undefined, ask, 1000, 0)!;
    expect(grant.units).toBe(600);
    expect(grant.ttlMs).toBe(600);
    expect(ledger.leasesIn("minute")).toEqual([{ end: 600, units: 600 }]);
  });

  it("shrinks a closed lease to its reported use, never grows it, and gives the rest of the quota back", () => {
    const ledger = new LeaseLedger();
    let used = 0;
    const quota = {
      limit: 1_000_000,
      remaining: () => 5000 - used,
      periodStart: () => 0,
      periodEnd: () => null,
      consume: (n: number) => {
        used += n;
      },
      refund: (n: number) => {
        used -= n;
      },
    };
    const grant = grantLease(ledger, [minute()], quota, ask, 1000, 0)!;
    expect(used).toBe(grant.units);
    closeLeases(ledger, { ...ask, closed: [{ leaseId: grant.leaseId, used: 7 }] }, quota, 100);
    // Every use came before the report: what was used counts from the report on, not from the lease's end.
    expect(ledger.leasesIn("minute")).toEqual([{ end: 100, units: 7 }]);
    expect(used).toBe(7);
    closeLeases(ledger, { ...ask, closed: [{ leaseId: grant.leaseId, used: 500 }] }, quota, 200);
    expect(ledger.leasesIn("minute")).toEqual([{ end: 100, units: 7 }]);
  });

  it("counts the use a lease in use reports from the report on, moves each unit once, and closes it to what was used after", () => {
    const ledger = new LeaseLedger();
    const grant = grantLease(ledger, [minute()], undefined, ask, 1000, 0)!;
    const using = (used: number) => ({ ...ask, using: { leaseId: grant.leaseId, used } });
    closeLeases(ledger, using(100), undefined, 200);
    // Used before the report was sent: counted from the report on; the rest still at the lease's end.
    expect(ledger.leasesIn("minute")).toEqual([
      { end: 600, units: 500 },
      { end: 200, units: 100 },
    ]);
    // Cumulative: a repeated report moves nothing, a later one only what was used since (at its own time).
    closeLeases(ledger, using(100), undefined, 250);
    closeLeases(ledger, using(130), undefined, 300);
    expect(ledger.leasesIn("minute")).toEqual([
      { end: 600, units: 470 },
      { end: 300, units: 130 },
    ]);
    // The close reports all its use (150): the 20 after the last report stay, counted from the close.
    closeLeases(ledger, { ...ask, closed: [{ leaseId: grant.leaseId, used: 150 }] }, undefined, 400);
    expect(ledger.leasesIn("minute")).toEqual([
      { end: 400, units: 20 },
      { end: 300, units: 130 },
    ]);
    // Past its end a lease counts at its end anyway: a late report changes nothing.
    const late = grantLease(ledger, [minute()], undefined, ask, 1000, 1000)!;
    closeLeases(ledger, { ...ask, using: { leaseId: late.leaseId, used: 5 } }, undefined, 1600);
    expect(ledger.leasesIn("minute")).toContainEqual({ end: 1600, units: 600 });
  });

  it("moves a closed lease and its reported part into the limits' logs at their ends, leaving the ledger", () => {
    const ledger = new LeaseLedger();
    const limit = minute();
    const fold = (entry: LeaseEntry, now: number) => {
      limit.window.insert(entry.end, entry.units, now);
      return true;
    };
    const grant = grantLease(ledger, [limit], undefined, ask, 1000, 0)!;
    limit.window.add(300, 2);
    closeLeases(ledger, { ...ask, using: { leaseId: grant.leaseId, used: 100 } }, undefined, 200, fold);
    closeLeases(ledger, { ...ask, closed: [{ leaseId: grant.leaseId, used: 150 }] }, undefined, 400, fold);
    expect(ledger.size).toBe(0);
    // Counted as the ledger counted them: 100 from 200, 50 from 400, each leaving one window later.
    expect([...limit.window.serialize()]).toEqual([200, 200, 100, 300, 300, 2, 400, 400, 50]);
    limit.window.prune(60_199);
    expect(limit.window.used).toBe(152);
    limit.window.prune(60_200);
    expect(limit.window.used).toBe(52);
    // A lease its limit cannot take in (no log here) stays in the ledger until it leaves.
    const kept = grantLease(ledger, [limit], undefined, ask, 1000, 1000)!;
    closeLeases(ledger, { ...ask, closed: [{ leaseId: kept.leaseId, used: 3 }] }, undefined, 1200, () => false);
    expect(ledger.leasesIn("minute")).toEqual([{ end: 1200, units: 3 }]);
  });

  it("keeps a slow key of a daily limit to a handful of ledger entries, not one per lease for a day", () => {
    const ledger = new LeaseLedger();
    const day = { id: "day", limit: 100_000, window: new SlidingWindow(DAY), leases: [] as { end: number; units: number }[] };
    const fold = (entry: LeaseEntry, now: number) => {
      day.window.insert(entry.end, entry.units, now);
      return true;
    };
    let open: number | undefined;
    for (let now = 0; now < 2000 * SECOND; now += 2 * SECOND) {
      const closed = open === undefined ? [] : [{ leaseId: open, used: 1 }];
      closeLeases(ledger, { isolateId: "a", closed, rate: 0.5 }, undefined, now, fold);
      day.window.prune(now);
      day.leases = ledger.leasesIn("day");
      open = grantLease(ledger, [day], undefined, { isolateId: "a", closed: [], rate: 0.5 }, 1000, now)?.leaseId;
    }
    expect(ledger.size).toBe(1);
    expect(day.window.used).toBe(999);
  });

  it("grants a slow key a slow lease: at most 1/8 of what is free, no more than its rate asks over up to 1/50 of the window, never with a quota", () => {
    // A small limit: 1/8 of 120 free is 15 units, for LEASE_TTL_MS (1/50 of the minute would be 1.2 s).
    expect(grantLease(new LeaseLedger(), [{ ...minute(), limit: 120 }], undefined, ask, 1000, 0)).toEqual({
      leaseId: 1,
      units: 15,
      ttlMs: 1000,
      slow: true,
    });
    // Low traffic on a large limit: what its rate asks over the TTL (20/s over 1 s), at least 1.
    expect(grantLease(new LeaseLedger(), [minute()], undefined, { ...ask, rate: 20 }, 1000, 0)).toMatchObject({ units: 20, slow: true });
    expect(grantLease(new LeaseLedger(), [minute()], undefined, { ...ask, rate: 0.1 }, 1000, 0)).toMatchObject({ units: 1, slow: true });
    // Less than 8 free: no room for a slice; a report with no demand gets none either.
    const nearlyFull = { ...minute(), limit: 60 };
    nearlyFull.window.add(0, 53);
    expect(grantLease(new LeaseLedger(), [nearlyFull], undefined, ask, 1000, 1)).toBeUndefined();
    expect(grantLease(new LeaseLedger(), [minute()], undefined, { ...ask, rate: 0 }, 1000, 0)).toBeUndefined();
  });

  it("holds a slow ask's waiters even past 1/8 of what is free, else takes all that is free as full; lets waiters wait only far from the limit", () => {
    const slow = { ...ask, rate: 2 }; // 2 units per second: a slow lease of 2 over the TTL
    // Far from the limit (10,000 free): a slice its rate sized, and the next call may have 2 waiting.
    expect(grantLease(new LeaseLedger(), [minute()], undefined, slow, 1000, 0)).toMatchObject({ units: 2, slow: true, waiters: 2 });
    // 20 free: 1/8 is 2, not 4 times what it holds: nobody may wait for the next call.
    const near = { ...minute(), limit: 60 };
    near.window.add(0, 40);
    expect(grantLease(new LeaseLedger(), [near], undefined, slow, 1000, 1)).not.toHaveProperty("waiters");
    // 5 free, 3 waiting: 3 units though 1/8 of what is free is none.
    const top = { ...minute(), limit: 60 };
    top.window.add(0, 55);
    expect(grantLease(new LeaseLedger(), [top], undefined, { ...slow, waiting: 3 }, 1000, 1)).toMatchObject({ units: 3, slow: true });
    expect(grantLease(new LeaseLedger(), [top], undefined, { ...slow, waiting: 3 }, 1000, 1)).not.toHaveProperty("full");
    // 5 free, 8 waiting: all 5, full (the isolate refuses the other 3); none free: a full grant of nothing.
    expect(grantLease(new LeaseLedger(), [top], undefined, { ...slow, waiting: 8 }, 1000, 1)).toMatchObject({ units: 5, full: true });
    top.window.add(0, 5);
    expect(grantLease(new LeaseLedger(), [top], undefined, { ...slow, waiting: 8 }, 1000, 1)).toEqual({
      leaseId: 0,
      units: 0,
      ttlMs: 1000,
      full: true,
      slow: true,
    });
  });

  it("grants nothing on a small quota or one near its end, low traffic with a quota, or past a quota period's end", () => {
    const quota = (left: number, end: number | null, limit = 1_000_000) => ({
      limit,
      remaining: () => left,
      periodStart: () => 0,
      periodEnd: () => end,
      consume: () => {},
      refund: () => {},
    });
    expect(grantLease(new LeaseLedger(), [minute()], quota(100, null), ask, 1000, 0)).toBeUndefined();
    // A slice of a 10,000 quota would be 10 units (1/1000): a dead isolate could strand no more, so none.
    expect(grantLease(new LeaseLedger(), [minute()], quota(10_000, null, 10_000), ask, 1000, 0)).toBeUndefined();
    expect(grantLease(new LeaseLedger(), [minute()], quota(10_000, null, 100_000), ask, 1000, 0)).toMatchObject({ units: 100 });
    expect(grantLease(new LeaseLedger(), [minute()], quota(1_000_000, null), { ...ask, rate: 20 }, 1000, 0)).toBeUndefined();
    expect(grantLease(new LeaseLedger(), [minute()], quota(5000, 30), ask, 1000, 0)).toBeUndefined();
  });

  it("near a large limit's top grants small slices, full once a slice takes all that is free, and a full grant of nothing once nothing is free", () => {
    const nearlyFull = minute();
    nearlyFull.window.add(0, 9_900);
    const ledger = new LeaseLedger();
    // 100 free: a slice of 16 leaves some, so requests it cannot hold still ask (the window slides meanwhile).
    const slice = grantLease(ledger, [nearlyFull], undefined, ask, 1000, 1);
    expect(slice).toMatchObject({ units: 16 });
    expect(slice).not.toHaveProperty("full");
    const lastTen = minute();
    lastTen.window.add(0, 9_990);
    expect(grantLease(new LeaseLedger(), [lastTen], undefined, ask, 1000, 1)).toMatchObject({ units: 10, full: true });
    // A slower isolate's slice near the top is 1/8 of what its rate asks (60 per TTL): it leaves some free.
    const slow = grantLease(new LeaseLedger(), [lastTen], undefined, { ...ask, rate: 100 }, 1000, 1);
    expect(slow).toMatchObject({ units: 8 });
    expect(slow).not.toHaveProperty("full");
    const spent = minute();
    spent.window.add(0, 10_000);
    expect(grantLease(ledger, [spent], undefined, ask, 1000, 1)).toEqual({ leaseId: 0, units: 0, ttlMs: 600, full: true });
    expect(ledger.size).toBe(1);
    expect(grantLease(new LeaseLedger(), [minute()], undefined, ask, 1000, 0)).not.toHaveProperty("full");
    // Smaller than asked far from the top (1/8 of what is free) is not full: the window is not near its limit.
    const eager = grantLease(new LeaseLedger(), [minute()], undefined, { ...ask, rate: 100_000 }, 1000, 0);
    expect(eager).toEqual({ leaseId: expect.any(Number), units: 1250, ttlMs: 600 });
  });

  it("lets an isolate refuse on its own only until the request could fit were every open lease given back, at most the TTL", () => {
    const nearlyFull = minute();
    nearlyFull.window.add(0, 9_990);
    const ledger = new LeaseLedger();
    const lease = grantLease(ledger, [nearlyFull], undefined, ask, 1000, 0)!;
    expect(lease.units).toBe(10);
    // The open lease fills the window, but may come back unused: the object decides the next request.
    expect(refusalMs([nearlyFull], ledger, 1, 1000, 100)).toBe(0);
    // Closed fully used, it surely stays counted: refuse here for the TTL (the log frees nothing for a minute).
    closeLeases(ledger, { ...ask, closed: [{ leaseId: lease.leaseId, used: 10 }] }, undefined, 100);
    expect(refusalMs([nearlyFull], ledger, 1, 1000, 100)).toBe(1000);
  });

  it("forgets a lease never reported once it has left every window", () => {
    const ledger = new LeaseLedger();
    grantLease(ledger, [minute()], undefined, ask, 1000, 0);
    ledger.forget(600 + 60 * SECOND - 1);
    expect(ledger.size).toBe(1);
    ledger.forget(600 + 60 * SECOND);
    expect(ledger.size).toBe(0);
  });

  it("reloads from the rows it reported, with lease ids that keep growing", () => {
    const ledger = new LeaseLedger();
    const first = grantLease(ledger, [minute()], undefined, ask, 1000, 5)!;
    const reloaded = new LeaseLedger(ledger.takeChanges().upserts);
    expect(reloaded.leasesIn("minute")).toEqual(ledger.leasesIn("minute"));
    const second = grantLease(reloaded, [minute()], undefined, ask, 1000, 5)!;
    expect(second.leaseId).toBeGreaterThan(first.leaseId);
  });
});

describe("lease slot", () => {
  const grant = { leaseId: 1, units: 10, ttlMs: 1000 };

  it("admits from the lease until its units run out, with no call", () => {
    const slot = new LeaseSlot("a", 0);
    slot.grant(slot.ask(0), grant, "full");
    for (let i = 0; i < 10; i++) expect(slot.take(1, 10)).toBe(true);
    expect(slot.take(1, 10)).toBe(false);
  });

  it("ends the lease by its own clock, counted from when the call was sent, not from when the grant arrived", () => {
    const slot = new LeaseSlot("a", 0);
    const sent = slot.ask(100);
    slot.grant(sent, grant, "full"); // arrives "late": the TTL still counts from 100
    expect(slot.take(1, 1099)).toBe(true);
    expect(slot.take(1, 1100)).toBe(false);
  });

  it("asks to renew at half use or half its TTL, and reports the replaced lease's final use with the next call", () => {
    const slot = new LeaseSlot("a", 0);
    slot.grant(slot.ask(0), grant, "full");
    expect(slot.wantsRenewal(10)).toBe(false);
    for (let i = 0; i < 5; i++) slot.take(1, 10);
    expect(slot.wantsRenewal(10)).toBe(true);
    const renewal = slot.ask(20);
    expect(renewal.closed).toEqual([]);
    slot.take(1, 30);
    slot.grant(renewal, { leaseId: 2, units: 10, ttlMs: 1000 }, "full");
    expect(slot.ask(40).closed).toEqual([{ leaseId: 1, used: 6 }]);
  });

  it("reports the lease in use with its use so far on every call, until it runs out", () => {
    const slot = new LeaseSlot("a", 0);
    expect(slot.ask(0)).not.toHaveProperty("using");
    slot.grant(slot.ask(0), grant, "full");
    for (let i = 0; i < 3; i++) slot.take(1, 10);
    expect(slot.ask(20).using).toEqual({ leaseId: 1, used: 3 });
    slot.take(1, 30);
    expect(slot.ask(40).using).toEqual({ leaseId: 1, used: 4 });
    const over = slot.ask(1000);
    expect(over).not.toHaveProperty("using");
    expect(over.closed).toEqual([{ leaseId: 1, used: 4 }]);
  });

  it("refuses from a zero lease for at most one TTL, however long the object's wait", () => {
    const slot = new LeaseSlot<string>("a", 0);
    slot.refuse(slot.ask(0), "rate_limited", 60_000, 1000);
    expect(slot.refusedHere(999)).toBe("rate_limited");
    expect(slot.refusedHere(1000)).toBeUndefined();
  });

  it("makes the requests a lease cannot hold wait for the call in flight while the object leases", () => {
    const slot = new LeaseSlot("a", 0);
    expect(slot.step(1, 0, false, false)).toEqual({ kind: "call" });
    expect(slot.step(1, 0, true, false)).toEqual({ kind: "wait" });
    slot.grant(slot.ask(0), { leaseId: 1, units: 1, ttlMs: 1000 }, "at limit");
    expect(slot.step(1, 10, true, false)).toEqual({ kind: "admitted" });
    expect(slot.step(1, 10, true, true)).toEqual({ kind: "wait" });
  });

  it("after a full grant refuses a request that already waited once, while a call is in flight, for at most the TTL", () => {
    const slot = new LeaseSlot("a", 0);
    slot.grant(slot.ask(0), { leaseId: 1, units: 1, ttlMs: 100, full: true }, "at limit");
    expect(slot.step(1, 10, true, false)).toEqual({ kind: "admitted" });
    expect(slot.step(1, 10, true, false)).toEqual({ kind: "wait" });
    expect(slot.step(1, 10, true, true)).toEqual({ kind: "refused", answer: "at limit" });
    // No call in flight: the object is asked (it may have room again).
    expect(slot.step(1, 10, false, true)).toEqual({ kind: "call" });
    expect(slot.step(1, 100, true, true)).toEqual({ kind: "wait" });
    // The refusals are reported with the next call.
    expect(slot.ask(100).refused).toBe(1);
  });

  it("keeps its lease on a full grant of nothing, and asks one by one once the object stops leasing", () => {
    const slot = new LeaseSlot("a", 0);
    slot.grant(slot.ask(0), { leaseId: 1, units: 2, ttlMs: 1000 }, "at limit");
    slot.grant(slot.ask(5), { leaseId: 0, units: 0, ttlMs: 1000, full: true }, "at limit");
    expect(slot.step(1, 10, true, false)).toEqual({ kind: "admitted" });
    slot.unleased();
    expect(slot.step(1, 10, true, false)).toEqual({ kind: "admitted" });
    expect(slot.step(1, 10, true, false)).toEqual({ kind: "call" });
  });

  it("stops admitting at once when dropped, and reports the lease as closed", () => {
    const slot = new LeaseSlot("a", 0);
    slot.grant(slot.ask(0), grant, "full");
    slot.take(1, 1);
    slot.drop();
    expect(slot.take(1, 2)).toBe(false);
    expect(slot.ask(3).closed).toEqual([{ leaseId: 1, used: 1 }]);
  });
});
