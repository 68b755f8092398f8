// One hot key past its object's ceiling, in virtual time: the object serves at most
// 1,000 calls/s (its calls queue), 16 isolates share demand far above that, and every sliding
// window of the limit is checked against what all isolates admitted together.
import { admittedIn, byDecisionTime, maxOvershoot } from "../accuracy/score.ts";
import { type LimitSpec, mulberry32, steady, uniform } from "../accuracy/traffic.ts";
import { type LeaseSystem, runCluster } from "./cluster.ts";

export interface HotKeyScenario {
  isolates: number;
  demandPerSecond: number;
  limit: LimitSpec;
  seconds: number;
  objectCallsPerSecond: number;
  /** One-way delay of each call and answer, drawn uniformly from this range. */
  delayMs: [number, number];
  seed: number;
}

export const HOT_KEY: HotKeyScenario = {
  isolates: 16,
  demandPerSecond: 24_000,
  limit: { label: "12,000/s", limit: 12_000, windowMs: 1000 },
  seconds: 10,
  objectCallsPerSecond: 1000,
  delayMs: [5, 50],
  seed: 0x407,
};

export interface HotKeyResult {
  system: string;
  requests: number;
  /** Admitted within the simulated span, per second of it. */
  admittedPerSecond: number;
  /** The most admitted in any sliding window, as a share of the limit (≤ 1: the bound held). */
  worstWindowShare: number;
  objectCallsPerSecond: number;
  /** Requests admitted from a lease, with no call. */
  admittedLocallyShare: number;
  maxQueueMs: number;
}

export function simulateHotKey<R, G>(system: LeaseSystem<R, G>, scenario: HotKeyScenario = HOT_KEY): HotKeyResult {
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
  });
  const admitted = admittedIn(run, byDecisionTime(run));
  const withinSpan = admitted.filter((i) => run.decidedAt[i]! < spanMs).length;
  return {
    system: system.name,
    requests: arrivals.times.length,
    admittedPerSecond: withinSpan / scenario.seconds,
    worstWindowShare: 1 + maxOvershoot(run.decidedAt, arrivals.costs, admitted, scenario.limit),
    objectCallsPerSecond: run.objectCalls / scenario.seconds,
    admittedLocallyShare: run.admittedLocally / arrivals.times.length,
    maxQueueMs: run.maxQueueMs,
  };
}
