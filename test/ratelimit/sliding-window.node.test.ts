import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decide, type LimitState, MAX_ENTRIES, nextReleaseMs, SlidingWindow } from "../../src/ratelimit/sliding-window";
import { propertyRuns } from "../support/properties";

const SECOND = 1000;
const MINUTE = 60 * SECOND;

// Most properties run on a small log so that merging starts after a thousand arrivals, not 10,000.
const SMALL_LOG = 1024;

const limitOf = (limit: number, windowMs: number, maxEntries = MAX_ENTRIES): LimitState => ({
  limit,
  window: new SlidingWindow(windowMs, [], [], [], maxEntries),
});

/** Decides one request per time, returning which were admitted. */
function admitAll(limits: LimitState[], times: number[], cost = 1): boolean[] {
  return times.map((now) => decide(limits, now, cost).allowed);
}

function usedAt(state: LimitState, now: number): number {
  state.window.prune(now);
  return state.window.used;
}

describe("counting at the limit", () => {
  it("admits exactly the limit within one window", () => {
    const minute = limitOf(5, MINUTE);
    expect(admitAll([minute], [0, 1, 2, 3, 4])).toEqual([true, true, true, true, true]);
    expect(usedAt(minute, 4)).toBe(5);
  });

  it("denies the request that would exceed the limit", () => {
    const minute = limitOf(5, MINUTE);
    admitAll([minute], [0, 1, 2, 3, 4]);
    expect(decide([minute], 5, 1).allowed).toBe(false);
  });

  it("reports the remaining units after each admission", () => {
    const minute = limitOf(3, MINUTE);
    const remaining = [0, 1, 2].map((now) => decide([minute], now, 1).outcomes[0]!.remaining);
    expect(remaining).toEqual([2, 1, 0]);
  });

  it("counts requests made in the same millisecond separately", () => {
    const second = limitOf(3, SECOND);
    expect(admitAll([second], [7, 7, 7, 7])).toEqual([true, true, true, false]);
  });
});

describe("units counted at an earlier moment (a closed lease's)", () => {
  it("inserts them in time order, counted exactly as an admission then, and ignores those already out of the window", () => {
    const state = limitOf(10, MINUTE);
    admitAll([state], [1000, 5000]);
    state.window.insert(3000, 4, 6000);
    state.window.insert(5000, 1, 6000);
    state.window.insert(0, 9, MINUTE);
    expect([...state.window.serialize()]).toEqual([1000, 1000, 1, 3000, 3000, 4, 5000, 5000, 2]);
    expect(usedAt(state, MINUTE + 2999)).toBe(6);
    expect(usedAt(state, MINUTE + 3000)).toBe(2);
    expect(nextReleaseMs(state, MINUTE + 3000)).toBe(2000);
  });
});

describe("denials consume nothing", () => {
  it("leaves every limit untouched when one of several limits denies", () => {
    const second = limitOf(10, SECOND);
    const minute = limitOf(3, MINUTE);
    admitAll([second, minute], [0, 1, 2]);
    const denied = decide([second, minute], 3, 1);
    expect(denied.allowed).toBe(false);
    expect(denied.deniedBy).toBe(1);
    expect(usedAt(second, 3)).toBe(3);
    expect(usedAt(minute, 3)).toBe(3);
  });

  it("does not charge a limit that had room when another denied", () => {
    const roomy = limitOf(100, MINUTE);
    const full = limitOf(1, MINUTE);
    decide([full], 0, 1);
    for (let now = 1; now <= 50; now++) expect(decide([roomy, full], now, 1).allowed).toBe(false);
    expect(usedAt(roomy, 50)).toBe(0);
  });

  it("reports the denying limit as the one with the longest wait", () => {
    const second = limitOf(1, SECOND);
    const minute = limitOf(1, MINUTE);
    decide([second, minute], 0, 1);
    const denied = decide([second, minute], 100, 1);
    expect(denied.deniedBy).toBe(1);
    expect(denied.retryAfterMs).toBe(MINUTE - 100);
  });
});

describe("window expiry at millisecond boundaries", () => {
  it("still counts a request one millisecond before its window ends", () => {
    const second = limitOf(1, SECOND);
    decide([second], 1000, 1);
    expect(decide([second], 1999, 1).allowed).toBe(false);
  });

  it("releases a request exactly one window after it was admitted", () => {
    const second = limitOf(1, SECOND);
    decide([second], 1000, 1);
    expect(decide([second], 2000, 1).allowed).toBe(true);
  });

  it("releases requests one by one, each exactly one window after its admission", () => {
    const second = limitOf(3, SECOND);
    admitAll([second], [0, 10, 20]);
    expect(admitAll([second], [999, 1000, 1000, 1009, 1010])).toEqual([false, true, false, false, true]);
  });
});

describe("retry and reset times", () => {
  it("gives the exact wait until the oldest request leaves the window", () => {
    const second = limitOf(3, SECOND);
    admitAll([second], [0, 10, 20]);
    const denied = decide([second], 500, 1);
    expect(denied.retryAfterMs).toBe(500);
    expect(denied.outcomes[0]!.resetMs).toBe(500);
  });

  it("admits after waiting exactly the retry time and not a millisecond earlier", () => {
    const second = limitOf(2, SECOND);
    admitAll([second], [100, 300]);
    const { retryAfterMs } = decide([second], 400, 1);
    expect(decide([second], 400 + retryAfterMs - 1, 1).allowed).toBe(false);
    expect(decide([second], 400 + retryAfterMs, 1).allowed).toBe(true);
  });

  it("waits for as many releases as a costly request needs", () => {
    const second = limitOf(4, SECOND);
    admitAll([second], [0, 100, 200, 300]);
    const denied = decide([second], 400, 3);
    expect(denied.retryAfterMs).toBe(1200 - 400);
    expect(decide([second], 1199, 3).allowed).toBe(false);
    expect(decide([second], 1200, 3).allowed).toBe(true);
  });

  it("waits only until a lease leaving before the log's oldest request makes room", () => {
    const second = { ...limitOf(10, SECOND), leases: [{ end: -500, units: 5 }] };
    admitAll([second], [0, 0, 0, 0, 0]);
    // The lease leaves at 500, the log's requests at 1000: room comes back at 500.
    const denied = decide([second], 10, 1);
    expect(denied.retryAfterMs).toBe(490);
    expect(decide([second], 499, 1).allowed).toBe(false);
    expect(decide([second], 500, 1).allowed).toBe(true);
  });

  it("reports the next release as the reset of an admitted request", () => {
    const minute = limitOf(10, MINUTE);
    decide([minute], 1000, 1);
    expect(decide([minute], 5000, 1).outcomes[0]!.resetMs).toBe(MINUTE - 4000);
  });

  it("has nothing to reset on an empty window", () => {
    expect(nextReleaseMs(limitOf(10, MINUTE), 0)).toBe(0);
  });
});

describe("costs", () => {
  it("charges a request's full cost against every limit", () => {
    const second = limitOf(10, SECOND);
    const minute = limitOf(100, MINUTE);
    decide([second, minute], 0, 4);
    expect(usedAt(second, 0)).toBe(4);
    expect(usedAt(minute, 0)).toBe(4);
  });

  it("admits a costly request only if all its units fit", () => {
    const second = limitOf(10, SECOND);
    expect(admitAll([second], [0, 1, 2], 4)).toEqual([true, true, false]);
    expect(decide([second], 3, 2).allowed).toBe(true);
  });

  it("denies a request costing more than the limit without consuming anything", () => {
    const second = limitOf(5, SECOND);
    const minute = limitOf(100, MINUTE);
    const denied = decide([second, minute], 0, 6);
    expect(denied.allowed).toBe(false);
    expect(denied.deniedBy).toBe(0);
    expect(usedAt(second, 0) + usedAt(minute, 0)).toBe(0);
  });

  // Such a request can never be admitted; the wait it reports is a window, not a promise.
  it("reports one window as the wait of a request costing more than the limit", () => {
    const second = limitOf(5, SECOND);
    expect(decide([second], 0, 6).retryAfterMs).toBe(SECOND);
  });
});

describe("clock irregularities", () => {
  it("treats a clock that steps back as standing still", () => {
    const second = limitOf(2, SECOND);
    admitAll([second], [1000, 900]);
    expect(second.window.entries).toBe(1);
    expect(decide([second], 1999, 1).allowed).toBe(false);
    expect(decide([second], 2000, 1).allowed).toBe(true);
  });
});

describe("bounded memory", () => {
  it("keeps at most its entry cap however large the limit", () => {
    const day = limitOf(1_000_000, 86_400 * SECOND, SMALL_LOG);
    for (let now = 0; now < 20 * SMALL_LOG; now++) {
      decide([day], now * 7, 1);
      expect(day.window.entries).toBeLessThanOrEqual(SMALL_LOG);
    }
    expect(usedAt(day, 20 * SMALL_LOG * 7)).toBe(20 * SMALL_LOG);
    expect(day.window.serialize().length).toBeLessThanOrEqual(3 * SMALL_LOG);
  });

  it("keeps at most MAX_ENTRIES entries by default", () => {
    const day = limitOf(1_000_000, 86_400 * SECOND);
    for (let now = 0; now < 3 * MAX_ENTRIES; now++) decide([day], now, 1);
    expect(day.window.entries).toBeLessThanOrEqual(MAX_ENTRIES);
    expect(usedAt(day, 3 * MAX_ENTRIES)).toBe(3 * MAX_ENTRIES);
  });

  it("decides a limit of 10,000 exactly: the 10,001st unit in a window is refused, each unit comes back one window later", () => {
    expect(MAX_ENTRIES).toBeGreaterThanOrEqual(10_000);
    const minute = limitOf(10_000, MINUTE);
    // Every admission at its own millisecond: 10,000 distinct entries, none merged.
    for (let now = 0; now < 10_000; now++) expect(decide([minute], now, 1).allowed).toBe(true);
    expect(minute.window.entries).toBe(10_000);
    expect(decide([minute], 10_000, 1).allowed).toBe(false);
    expect(decide([minute], MINUTE - 1, 1).allowed).toBe(false);
    expect(decide([minute], MINUTE, 1).allowed).toBe(true);
    expect(decide([minute], MINUTE, 1).allowed).toBe(false);
    expect(decide([minute], MINUTE + 1, 1).allowed).toBe(true);
    expect(decide([minute], MINUTE + 1, 1).retryAfterMs).toBe(1);
  });

  it("releases a merged range gradually, as if its requests were spread across it", () => {
    const minute = limitOf(SMALL_LOG + 1, MINUTE, SMALL_LOG);
    admitAll(
      [minute],
      Array.from({ length: SMALL_LOG + 1 }, (_, i) => i * 2),
    );
    expect(minute.window.entries).toBeLessThan(SMALL_LOG);
    expect(minute.window.entries).toBeGreaterThan(SMALL_LOG * 0.9);
    // Full at the limit: nothing fits until the window edge passes the first admissions.
    expect(decide([minute], 2 * SMALL_LOG + 1, 1).allowed).toBe(false);
    // Half a minute later the edge has passed none of them; a minute and a half later, all.
    expect(decide([minute], MINUTE / 2, 1).allowed).toBe(false);
    expect(usedAt(minute, MINUTE + 2 * SMALL_LOG + 1)).toBe(0);
  });
});

// ------------------------------------------------------------------ properties against a full log

// Properties stop at the first failure (endOnFailure): shrinking thousands of arrivals takes minutes.

interface Arrival {
  gap: number;
  cost: number;
}

const arrivals = (maxGap: number, maxCost: number, maxLength: number) =>
  // size "max": fast-check's default keeps arrays short, and merging only starts past the log's cap.
  fc.array(fc.record({ gap: fc.integer({ min: 0, max: maxGap }), cost: fc.integer({ min: 1, max: maxCost }) }), { maxLength, size: "max" });

/** Every admission kept: the exact count over (now − w, now]. */
class FullLog {
  readonly admitted: { time: number; cost: number }[] = [];
  /** unitsBefore[i]: units admitted before admitted[i]; times only grow, so windows are found by binary search. */
  private readonly unitsBefore: number[] = [0];
  readonly windowMs: number;

  constructor(windowMs: number) {
    this.windowMs = windowMs;
  }

  add(time: number, cost: number): void {
    this.admitted.push({ time, cost });
    this.unitsBefore.push(this.unitsBefore.at(-1)! + cost);
  }

  countAt(now: number): number {
    let lo = 0;
    let hi = this.admitted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.admitted[mid]!.time > now - this.windowMs) hi = mid;
      else lo = mid + 1;
    }
    return this.unitsBefore.at(-1)! - this.unitsBefore[lo]!;
  }
}

/** The most units admitted in any true sliding window, found at windows ending on an admission. */
function busiestWindow(log: FullLog): number {
  let busiest = 0;
  let inWindow = 0;
  let first = 0;
  const { admitted, windowMs } = log;
  for (let last = 0; last < admitted.length; last++) {
    inWindow += admitted[last]!.cost;
    while (admitted[first]!.time <= admitted[last]!.time - windowMs) inWindow -= admitted[first++]!.cost;
    busiest = Math.max(busiest, inWindow);
  }
  return busiest;
}

function replay(
  limits: LimitState[],
  traffic: Arrival[],
  onDecision: (now: number, cost: number, allowed: boolean) => void,
  start = 0,
): void {
  let now = start;
  for (const { gap, cost } of traffic) {
    now += gap;
    onDecision(now, cost, decide(limits, now, cost).allowed);
  }
}

describe("properties under random traffic", () => {
  it("keeps every true sliding window within 1% of its limit once ranges are merged", () => {
    fc.assert(
      // Limits above the cap and dense traffic, so that saturated windows get merged.
      fc.property(
        fc.integer({ min: SMALL_LOG, max: 4 * SMALL_LOG }),
        fc.integer({ min: 100, max: 3000 }),
        arrivals(8, 4, 2500),
        (limit, windowMs, traffic) => {
          const state = limitOf(limit, windowMs, SMALL_LOG);
          const log = new FullLog(windowMs);
          replay([state], traffic, (time, cost, allowed) => {
            if (allowed) log.add(time, cost);
            expect(state.window.entries).toBeLessThanOrEqual(SMALL_LOG);
          });
          expect(busiestWindow(log)).toBeLessThanOrEqual(limit * 1.01);
        },
      ),
      propertyRuns(60, { endOnFailure: true }),
    );
  });

  it("estimates its own admissions to within 1% of the limit", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 * SMALL_LOG }),
        fc.integer({ min: 1, max: 2000 }),
        arrivals(10, 3, 2500),
        (limit, windowMs, traffic) => {
          const state = limitOf(limit, windowMs, SMALL_LOG);
          const log = new FullLog(windowMs);
          replay([state], traffic, (time, cost, allowed) => {
            if (allowed) log.add(time, cost);
            expect(Math.abs(state.window.used - log.countAt(time))).toBeLessThanOrEqual(Math.max(1, limit * 0.01));
          });
        },
      ),
      propertyRuns(40, { endOnFailure: true }),
    );
  });

  it("decides exactly like a full log while the limit fits in the log's cap", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: SMALL_LOG }),
        fc.integer({ min: 1, max: 2000 }),
        arrivals(40, 3, 1500),
        (limit, windowMs, traffic) => {
          const state = limitOf(limit, windowMs, SMALL_LOG);
          const log = new FullLog(windowMs);
          replay([state], traffic, (time, cost, allowed) => {
            const exactAllows = log.countAt(time) + cost <= limit;
            expect(allowed).toBe(exactAllows);
            if (exactAllows) log.add(time, cost);
          });
        },
      ),
      propertyRuns(60, { endOnFailure: true }),
    );
  });

  it("decides several limits all-or-nothing, like full logs would", () => {
    fc.assert(
      fc.property(arrivals(15, 3, 1200), (traffic) => {
        const specs = [
          { limit: 8, windowMs: 100 },
          { limit: 40, windowMs: 1000 },
          { limit: 100, windowMs: 5000 },
        ];
        const states = specs.map((s) => limitOf(s.limit, s.windowMs));
        const logs = specs.map((s) => new FullLog(s.windowMs));
        replay(states, traffic, (time, cost, allowed) => {
          const exactAllows = logs.every((log, i) => log.countAt(time) + cost <= specs[i]!.limit);
          expect(allowed).toBe(exactAllows);
          if (exactAllows) for (const log of logs) log.add(time, cost);
        });
      }),
      propertyRuns(40, { endOnFailure: true }),
    );
  });
});

describe("storage", () => {
  it("restores a window that decides exactly as the original", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 500 }),
        fc.integer({ min: 1, max: 2000 }),
        arrivals(20, 3, 800),
        arrivals(20, 3, 300),
        (limit, windowMs, before, after) => {
          const original = limitOf(limit, windowMs);
          replay([original], before, () => {});
          const restored: LimitState = { limit, window: SlidingWindow.deserialize(windowMs, original.window.serialize()) };
          expect(restored.window.serialize()).toEqual(original.window.serialize());
          expect(restored.window.used).toBe(original.window.used);
          const start = before.reduce((t, a) => t + a.gap, 0);
          const decisions: boolean[][] = [[], []];
          for (const [i, state] of [original, restored].entries())
            replay([state], after, (_, __, allowed) => decisions[i]!.push(allowed), start);
          expect(decisions[1]).toEqual(decisions[0]);
        },
      ),
      propertyRuns(60, { endOnFailure: true }),
    );
  });

  it("serializes as flat start, end, count triples, oldest first", () => {
    const window = new SlidingWindow(SECOND);
    window.add(10, 1);
    window.add(20, 3);
    expect([...window.serialize()]).toEqual([10, 10, 1, 20, 20, 3]);
  });
});

describe("change journal", () => {
  /** A store that, like the Durable Object's table, keeps one row per entry keyed by its end. */
  function applyChanges(rows: Map<number, { start: number; count: number }>, window: SlidingWindow): void {
    const { prunedThrough, deletes, upserts } = window.takeChanges();
    if (prunedThrough !== undefined) for (const end of [...rows.keys()]) if (end <= prunedThrough) rows.delete(end);
    for (const end of deletes) rows.delete(end);
    for (const [end, row] of upserts) rows.set(end, { ...row });
  }

  function rebuild(windowMs: number, rows: Map<number, { start: number; count: number }>): SlidingWindow {
    const ends = [...rows.keys()].sort((a, b) => a - b);
    return new SlidingWindow(
      windowMs,
      ends,
      ends.map((e) => rows.get(e)!.count),
      ends.map((e) => rows.get(e)!.start),
      SMALL_LOG,
    );
  }

  it("rebuilds exactly the same window from the rows it wrote, merges and pruning included", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 * SMALL_LOG }),
        fc.integer({ min: 50, max: 3000 }),
        arrivals(6, 3, 3000),
        (limit, windowMs, traffic) => {
          const state = limitOf(limit, windowMs, SMALL_LOG);
          const rows = new Map<number, { start: number; count: number }>();
          replay([state], traffic, (_, __, allowed) => {
            if (allowed) applyChanges(rows, state.window);
          });
          applyChanges(rows, state.window);
          expect([...rebuild(windowMs, rows).serialize()]).toEqual([...state.window.serialize()]);
        },
      ),
      propertyRuns(60, { endOnFailure: true }),
    );
  });
});
