// The edge model's world, drawn once from a seed and shared by every design: keys with Zipf
// popularity, their limits and revocations, the locations and the isolates that come and go in
// them, and the requests (when, which key, where, which isolate).
import { exponential, mulberry32, type Rng, uniform } from "../accuracy/traffic.ts";
import type { EdgeOptions } from "./options.ts";

export interface EdgeKey {
  /** Popularity rank, 0 the busiest. */
  rank: number;
  /** Stands for the secret's hash in the caches. */
  hash: string;
  /** Units per `windowMs`. */
  limit: number;
  windowMs: number;
  /** Given a limit below its expected demand: its windows are meant to fill. */
  overDemand: boolean;
  /** When an operator revokes it (the write reaches D1 and the key's object then), or null. */
  revokedAt: number | null;
  /** An imported key of a foreign format: its record is found in D1 by hash, whatever the design. */
  imported: boolean;
}

/** One isolate: it serves its location's requests routed to its slot from `start` until `end`, with cold caches at `start`. */
export interface EdgeIsolate {
  id: number;
  location: number;
  start: number;
  end: number;
}

export interface EdgeWorld {
  keys: EdgeKey[];
  isolates: EdgeIsolate[];
  /** Per request, in arrival order. */
  times: Float64Array;
  keyOf: Int32Array;
  isolateOf: Int32Array;
  /** Each key's share of requests. */
  popularity: Float64Array;
}

/** Zipf weights k^-s over `n` ranks, normalised. */
export function zipf(n: number, s: number): Float64Array {
  const weights = new Float64Array(n);
  let sum = 0;
  for (let k = 0; k < n; k++) sum += weights[k] = (k + 1) ** -s;
  for (let k = 0; k < n; k++) weights[k]! /= sum;
  return weights;
}

/** Index of the first cumulative weight above `u` (binary search). */
function pick(cumulative: Float64Array, u: number): number {
  let lo = 0;
  let hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cumulative[mid]! > u) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function cumulativeOf(weights: ArrayLike<number>): Float64Array {
  const out = new Float64Array(weights.length);
  let sum = 0;
  for (let i = 0; i < weights.length; i++) out[i] = sum += weights[i]!;
  out[out.length - 1] = 1;
  return out;
}

/**
 * A key's limit per window: twice its expected demand, at least `minLimit`; one key in ten
 * (ranks 3, 13, 23, …) gets half its expected demand instead, so the busy ones among them are refused.
 */
function keyLimit(rank: number, demandPerWindow: number, minLimit: number): { limit: number; overDemand: boolean } {
  const overDemand = rank % 10 === 3;
  const limit = Math.max(minLimit, Math.round((overDemand ? 0.5 : 2) * demandPerWindow));
  return { limit, overDemand: overDemand && limit < demandPerWindow };
}

/** Each location's slots hold one isolate after another, each living an exponential lifetime. */
function isolatesOf(options: EdgeOptions, rng: Rng): { isolates: EdgeIsolate[]; slots: EdgeIsolate[][][] } {
  const isolates: EdgeIsolate[] = [];
  const slots = options.locations.map((_, location) =>
    Array.from({ length: options.isolatesPerLocation }, () => {
      const chain: EdgeIsolate[] = [];
      // The first one started before the run: it is warm only for what the run shows it.
      for (let start = 0; start < options.durationMs; ) {
        const end = start + exponential(rng, options.isolateLifetimeMs);
        const isolate = { id: isolates.length, location, start, end: Math.min(end, options.durationMs) };
        isolates.push(isolate);
        chain.push(isolate);
        start = end;
      }
      return chain;
    }),
  );
  return { isolates, slots };
}

export function drawWorld(options: EdgeOptions): EdgeWorld {
  const rng = mulberry32(options.seed);
  const popularity = zipf(options.keys, options.zipfS);
  const byKey = cumulativeOf(popularity);
  const byLocation = cumulativeOf(options.locations.map((l) => l.share));
  const keys: EdgeKey[] = Array.from(popularity, (share, rank) => ({
    rank,
    hash: `key-${rank}`,
    windowMs: options.windowMs,
    ...keyLimit(rank, (share * options.rate * options.windowMs) / 1000, options.minLimit),
    revokedAt: null,
    imported: rng() < options.importedShare,
  }));
  // Revoked: keys drawn log-uniformly from the busiest `revokeAmong` ranks, at times in the run's middle 60%.
  for (let n = 0; n < options.revocations; n++) {
    const rank = Math.min(keys.length, options.revokeAmong) ** rng() - 1;
    const key = keys[Math.floor(rank)]!;
    key.revokedAt ??= Math.round(uniform(rng, 0.2, 0.8) * options.durationMs);
  }
  const { isolates, slots } = isolatesOf(options, rng);
  const expected = Math.ceil((options.rate * options.durationMs) / 1000);
  const times: number[] = [];
  const keyOf: number[] = [];
  const isolateOf: number[] = [];
  for (let t = exponential(rng, 1000 / options.rate); t < options.durationMs && times.length < 2 * expected + 1000; ) {
    const location = pick(byLocation, rng());
    const chain = slots[location]![Math.floor(rng() * options.isolatesPerLocation)]!;
    let i = 0;
    while (chain[i]!.end <= t && i < chain.length - 1) i++;
    times.push(t);
    keyOf.push(pick(byKey, rng()));
    isolateOf.push(chain[i]!.id);
    t += exponential(rng, 1000 / options.rate);
  }
  return {
    keys,
    isolates,
    times: Float64Array.from(times),
    keyOf: Int32Array.from(keyOf),
    isolateOf: Int32Array.from(isolateOf),
    popularity,
  };
}
