// The limiters the accuracy benchmark compares, each run over a whole trace.
import { decide, type LimitState, SlidingWindow } from "../../src/ratelimit/sliding-window.ts";
import { runCluster } from "../leases/cluster.ts";
import { leasedSystem } from "../leases/leased.ts";
import { type Arrivals, type LimitSpec, mulberry32, uniform } from "./traffic.ts";

/** Per request, in arrival order: whether it was admitted, and when (on the deciding clock) that was decided. */
export interface Outcome {
  allowed: Uint8Array;
  decidedAt: Float64Array;
}

export interface Limiter {
  name: string;
  run(limits: LimitSpec[], arrivals: Arrivals): Outcome;
}

/** A limiter that decides each request on arrival, in order. */
function sequential(name: string, make: (limits: LimitSpec[]) => (now: number, cost: number) => boolean): Limiter {
  return {
    name,
    run(limits, { times, costs }) {
      const decideOne = make(limits);
      const allowed = new Uint8Array(times.length);
      for (let i = 0; i < times.length; i++) allowed[i] = decideOne(times[i]!, costs[i]!) ? 1 : 0;
      return { allowed, decidedAt: times };
    },
  };
}

// ---------------------------------------------------------------- the exact reference

/** Every admitted unit's time, kept in full: exact, and unbounded in memory. */
export class ExactLog {
  private times: number[] = [];
  private costs: number[] = [];
  private head = 0;
  used = 0;
  private readonly windowMs: number;

  constructor(windowMs: number) {
    this.windowMs = windowMs;
  }

  prune(now: number): void {
    const horizon = now - this.windowMs;
    while (this.head < this.times.length && this.times[this.head]! <= horizon) this.used -= this.costs[this.head++]!;
    if (this.head > 4096 && this.head * 2 > this.times.length) {
      this.times = this.times.slice(this.head);
      this.costs = this.costs.slice(this.head);
      this.head = 0;
    }
  }

  add(now: number, cost: number): void {
    this.times.push(now);
    this.costs.push(cost);
    this.used += cost;
  }
}

export function exactWouldAdmit(logs: ExactLog[], limits: LimitSpec[], now: number, cost: number): boolean {
  let allowed = true;
  logs.forEach((log, i) => {
    log.prune(now);
    if (log.used + cost > limits[i]!.limit) allowed = false;
  });
  return allowed;
}

export const exactLimiter = sequential("exact sliding log", (limits) => {
  const logs = limits.map((l) => new ExactLog(l.windowMs));
  return (now, cost) => {
    const allowed = exactWouldAdmit(logs, limits, now, cost);
    if (allowed) for (const log of logs) log.add(now, cost);
    return allowed;
  };
});

// ---------------------------------------------------------------- ours

export const slidingWindowLimiter = sequential("SlidingWindow (this gateway)", (limits) => {
  const states: LimitState[] = limits.map((l) => ({ limit: l.limit, window: new SlidingWindow(l.windowMs) }));
  return (now, cost) => decide(states, now, cost).allowed;
});

// ---------------------------------------------------------------- Cloudflare's approximation

/**
 * Cloudflare's sliding-window counter: fixed windows aligned on multiples of W, the previous one
 * weighted by the share of it the sliding window still overlaps, `prev × (1 − elapsed/W) + current`
 * (blog.cloudflare.com/counting-things-a-lot-of-different-things). Only admitted units are counted,
 * like every other limiter here.
 */
class WeightedBuckets {
  private readonly windowMs: number;
  private bucket = Number.NEGATIVE_INFINITY;
  private current = 0;
  private previous = 0;

  constructor(windowMs: number) {
    this.windowMs = windowMs;
  }

  estimate(now: number): number {
    const bucket = Math.floor(now / this.windowMs);
    if (bucket !== this.bucket) {
      this.previous = bucket === this.bucket + 1 ? this.current : 0;
      this.current = 0;
      this.bucket = bucket;
    }
    const elapsed = now - bucket * this.windowMs;
    return this.previous * (1 - elapsed / this.windowMs) + this.current;
  }

  add(cost: number): void {
    this.current += cost;
  }
}

export const cloudflareCounterLimiter = sequential("Cloudflare sliding-window counter", (limits) => {
  const buckets = limits.map((l) => new WeightedBuckets(l.windowMs));
  return (now, cost) => {
    const allowed = buckets.every((b, i) => b.estimate(now) + cost <= limits[i]!.limit);
    if (allowed) for (const b of buckets) b.add(cost);
    return allowed;
  };
});

// ---------------------------------------------------------------- leases over several isolates

/** One-way delay of each call to the key's object and of its answer. */
export const LEASED_RPC_DELAY_MS: [number, number] = [1, 41];

/**
 * The gateway's lease modules over `isolates` isolates: each request goes to a random isolate, which
 * admits from its lease or asks the object (each call and answer delayed, virtual time). A request
 * the object decides is decided when the object gets to it.
 */
export function leasedLimiter(isolates: number, seed: number): Limiter {
  const [low, high] = LEASED_RPC_DELAY_MS;
  return {
    name: `leased, ${isolates} isolates`,
    run(limits, arrivals) {
      return runCluster(leasedSystem(), limits, arrivals, {
        isolates,
        delayMs: (rng) => uniform(rng, low, high),
        objectServiceMs: 0,
        rng: mulberry32(seed + isolates),
      });
    },
  };
}
