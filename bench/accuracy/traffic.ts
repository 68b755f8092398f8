// Seeded request traces for the limiter benchmarks: arrival times (whole ms, like Date.now()) and costs.

export interface LimitSpec {
  label: string;
  limit: number;
  windowMs: number;
}

export interface Arrivals {
  times: Float64Array;
  costs: Int32Array;
}

// ---------------------------------------------------------------- seeded randomness

export type Rng = () => number;

export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function exponential(rng: Rng, mean: number): number {
  return -Math.log(1 - rng()) * mean;
}

export function uniform(rng: Rng, lo: number, hi: number): number {
  return lo + (hi - lo) * rng();
}

// ---------------------------------------------------------------- traffic

/** Collects arrival times as fractional ms; `finish` rounds to whole ms like Date.now(). */
export class StreamBuilder {
  private readonly times: number[] = [];
  private readonly costs: number[] = [];

  get size(): number {
    return this.times.length;
  }

  push(time: number, cost = 1): void {
    this.times.push(time);
    this.costs.push(cost);
  }

  poisson(rng: Rng, ratePerMs: number, from: number, to: number, cost: () => number = () => 1): void {
    for (let t = from + exponential(rng, 1 / ratePerMs); t < to; t += exponential(rng, 1 / ratePerMs)) this.push(t, cost());
  }

  finish(): Arrivals {
    const order = this.times.map((_, i) => i).sort((a, b) => this.times[a]! - this.times[b]!);
    const times = new Float64Array(order.length);
    const costs = new Int32Array(order.length);
    order.forEach((from, to) => {
      times[to] = Math.floor(this.times[from]!);
      costs[to] = this.costs[from]!;
    });
    return { times, costs };
  }
}

export const ratePerMs = (spec: LimitSpec, load: number) => (load * spec.limit) / spec.windowMs;

/** Poisson arrivals at `load` × the limit's average rate, for about `decisions` requests. */
export function steady(rng: Rng, spec: LimitSpec, load: number, decisions: number): Arrivals {
  const stream = new StreamBuilder();
  const rate = ratePerMs(spec, load);
  stream.poisson(rng, rate, 0, decisions / rate);
  return stream.finish();
}

/** On/off traffic: bursts at `peak` × the limit rate, silences in between, averaging `load`. */
export function bursty(rng: Rng, spec: LimitSpec, load: number, peak: number, decisions: number): Arrivals {
  const stream = new StreamBuilder();
  const rate = ratePerMs(spec, peak);
  const meanOn = spec.windowMs / 4;
  const meanOff = meanOn * (peak / load - 1);
  let count = 0;
  for (let t = exponential(rng, meanOff); count < decisions; ) {
    const on = exponential(rng, meanOn);
    const before = stream.size;
    stream.poisson(rng, rate, t, t + on);
    count += stream.size - before;
    t += on + exponential(rng, meanOff);
  }
  return stream.finish();
}

/**
 * Bursts of about a limit's worth of requests, each placed a few ms before or after the moment
 * the previous burst leaves the window, over a light Poisson background: the classic way to get
 * 2× the limit through a fixed-window counter.
 */
export function boundaryStraddling(rng: Rng, spec: LimitSpec, decisions: number): Arrivals {
  const stream = new StreamBuilder();
  const spreadMs = Math.max(2, spec.windowMs / 1000);
  let count = 0;
  let start = uniform(rng, 0, spec.windowMs);
  while (count < decisions) {
    const size = Math.round(spec.limit * uniform(rng, 0.5, 1.5));
    for (let i = 0; i < size; i++) stream.push(start + uniform(rng, 0, spreadMs));
    count += size;
    // The edge is where the previous burst's first requests leave the window.
    start += spec.windowMs + uniform(rng, -4, 4) - (rng() < 0.5 ? spreadMs : 0);
  }
  const end = start;
  const background = new StreamBuilder();
  background.poisson(rng, ratePerMs(spec, 0.2), 0, end);
  return mergeArrivals(stream.finish(), background.finish());
}

export function mergeArrivals(...parts: Arrivals[]): Arrivals {
  const stream = new StreamBuilder();
  for (const { times, costs } of parts) for (const [i, t] of times.entries()) stream.push(t, costs[i]!);
  return stream.finish();
}

/** Requests costing 1 to 5 units, plus the occasional one that costs more than the smallest limit. */
export function withCosts(rng: Rng, arrivals: Arrivals, oversized: number): Arrivals {
  const costs = arrivals.costs.map(() => (rng() < 0.001 ? oversized : 1 + Math.floor(rng() * 5)));
  return { times: arrivals.times, costs };
}
