// One hot key past its object's ceiling, in virtual time: the object serves at most
// 1,000 calls/s (its calls queue), 16 isolates share demand far above that, and every sliding
// window of the limit is checked against what all isolates admitted together.
import { exactLimiter } from "../accuracy/limiters.ts";
import { admittedIn, byDecisionTime, maxOvershoot } from "../accuracy/score.ts";
import { type LimitSpec, mulberry32, steady, uniform } from "../accuracy/traffic.ts";
import { type LeaseSystem, runCluster } from "./cluster.ts";

export interface HotKeyScenario {
  name: string;
  isolates: number;
  demandPerSecond: number;
  limit: LimitSpec;
  seconds: number;
  objectCallsPerSecond: number;
  /** One-way delay of each call and answer, drawn uniformly from this range. */
  delayMs: [number, number];
  seed: number;
}

const common = { isolates: 16, objectCallsPerSecond: 1000, delayMs: [5, 50] as [number, number], seed: 0x407 };

/** Demand far past the object's ceiling, under the limit: what leases let through. */
export const HOT_KEY_UNDER_LIMIT: HotKeyScenario = {
  ...common,
  name: "under its limit",
  demandPerSecond: 16_000,
  limit: { label: "1,200,000/min", limit: 1_200_000, windowMs: 60_000 },
  seconds: 20,
};

/** Twice the limit's rate, so windows fill: the bound is what is tested. */
export const HOT_KEY_OVER_LIMIT: HotKeyScenario = {
  ...common,
  name: "at twice its limit",
  demandPerSecond: 24_000,
  limit: { label: "120,000/10 s", limit: 120_000, windowMs: 10_000 },
  seconds: 20,
};

export const HOT_KEY_SCENARIOS = [HOT_KEY_UNDER_LIMIT, HOT_KEY_OVER_LIMIT];

export interface HotKeyResult {
  scenario: string;
  system: string;
  requests: number;
  /** Admitted within the simulated span, per second of it. */
  admittedPerSecond: number;
  /**
   * Admitted, as a share of what an exact limiter (one object with no ceiling, deciding every
   * request on arrival) admits of the same requests within the span.
   */
  exactShare: number;
  /** The most admitted in any sliding window, as a share of the limit (≤ 1: the bound held). */
  worstWindowShare: number;
  objectCallsPerSecond: number;
  /** Requests admitted from a lease, with no call. */
  admittedLocallyShare: number;
  /** Requests still waiting for the object when the span ended. */
  undecidedAtEnd: number;
  maxQueueMs: number;
}

export function simulateHotKey(system: LeaseSystem, scenario: HotKeyScenario): HotKeyResult {
  const rng = mulberry32(scenario.seed);
  const spanMs = scenario.seconds * 1000;
  const load = (scenario.demandPerSecond * scenario.limit.windowMs) / 1000 / scenario.limit.limit;
  const arrivals = steady(rng, scenario.limit, load, (scenario.demandPerSecond * spanMs) / 1000);
  const [low, high] = scenario.delayMs;
  const run = runCluster(system, [scenario.limit], arrivals, {
    isolates: scenario.isolates,
    delayMs: (r) => uniform(r, low, high),
    objectServiceMs: 1000 / scenario.objectCallsPerSecond,
    rng,
    stopAt: spanMs,
  });
  const admitted = admittedIn(run, byDecisionTime(run));
  const offered = arrivals.times.filter((t) => t <= spanMs).length;
  const exact = exactLimiter.run([scenario.limit], arrivals).allowed.subarray(0, offered);
  return {
    scenario: scenario.name,
    system: system.name,
    requests: offered,
    admittedPerSecond: admitted.length / scenario.seconds,
    exactShare: admitted.length / exact.reduce((sum, a) => sum + a, 0),
    worstWindowShare: 1 + maxOvershoot(run.decidedAt, arrivals.costs, admitted, scenario.limit),
    objectCallsPerSecond: run.objectCalls / scenario.seconds,
    admittedLocallyShare: run.admittedLocally / offered,
    undecidedAtEnd: offered - run.decided,
    maxQueueMs: run.maxQueueMs,
  };
}
