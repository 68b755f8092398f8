// What every design of the edge model shares: the event queue, remote trips drawn around their
// RTT, and the per-request and per-key tallies the results are computed from.
import { maxOvershoot } from "../accuracy/score.ts";
import { mulberry32, type Rng, uniform } from "../accuracy/traffic.ts";
import { EventQueue } from "../leases/event-queue.ts";
import { percentile } from "../stats.ts";
import type { EdgeOptions } from "./options.ts";
import type { EdgeWorld } from "./traffic.ts";

export type DesignName = "gateway-before" | "gateway" | "central-verify" | "edge-cache-60s";

export interface DesignResult {
  name: DesignName;
  addedMs: { mean: number; p50: number; p99: number };
  remoteRoundTrips: { mean: number; max: number };
  /** Keys whose admissions exceeded their limit in some sliding window. */
  overLimit: number;
  /** Longest from a key's revocation to its last admission after it (0: none after). */
  revocationMs: { max: number };
}

/** One request as a design sees it: where it is, and what it has waited for so far. */
export interface EdgeRequest {
  index: number;
  key: number;
  isolate: number;
  arrivedAt: number;
  trips: number;
}

/** The model's clock, trips and tallies, for one design over one world. */
export class EdgeRun {
  readonly events = new EventQueue();
  readonly world: EdgeWorld;
  readonly options: EdgeOptions;
  private readonly rng: Rng;
  /** Per request: its added latency, and the remote trips it waited for. */
  readonly added: Float64Array;
  readonly trips: Uint32Array;
  private finished = 0;
  /** Per key: when each admission was decided (the object's clock for its decisions, the isolate's for its own). */
  private readonly admissions: number[][];
  private readonly lastAfterRevocation: Float64Array;

  constructor(world: EdgeWorld, options: EdgeOptions, design: number) {
    this.world = world;
    this.options = options;
    this.rng = mulberry32(options.seed ^ (0x9e3779b9 * (design + 1)));
    this.added = new Float64Array(world.times.length);
    this.trips = new Uint32Array(world.times.length);
    this.admissions = world.keys.map(() => []);
    this.lastAfterRevocation = new Float64Array(world.keys.length);
  }

  /** A round trip of about `rttMs` sent at `sentAt`: `serve` runs at the far end halfway, `back` when its answer is in. */
  trip<T>(sentAt: number, rttMs: number, serve: (at: number) => T, back: (at: number, answer: T) => void): void {
    this.tripWithin(sentAt, rttMs, () => 0, serve, back);
  }

  /** The same trip, except that at the far end `inside(at)` says how long the far end waits (its own remote read) before `serve`. */
  tripWithin<T>(
    sentAt: number,
    rttMs: number,
    inside: (at: number) => number,
    serve: (at: number) => T,
    back: (at: number, answer: T) => void,
  ): void {
    const leg = this.draw(rttMs) / 2;
    this.events.schedule(sentAt + leg, () => {
      const wait = inside(this.events.now);
      const done = (): void => {
        const answer = serve(this.events.now);
        this.events.schedule(this.events.now + leg, () => back(this.events.now, answer));
      };
      if (wait > 0) this.events.schedule(this.events.now + wait, done);
      else done();
    });
  }

  /** A trip's time: its RTT times a factor drawn uniformly from [1 − jitter, 1 + jitter]. */
  draw(rttMs: number): number {
    return rttMs * uniform(this.rng, 1 - this.options.rttJitter, 1 + this.options.rttJitter);
  }

  /** The request goes on to the upstream (or is refused) at `at`; an admission counts at `decidedAt` in its key's windows. */
  finish(request: EdgeRequest, at: number, admitted: boolean, decidedAt = at): void {
    this.added[request.index] = at - request.arrivedAt;
    this.trips[request.index] = request.trips;
    this.finished++;
    if (!admitted) return;
    this.admissions[request.key]!.push(decidedAt);
    const revokedAt = this.world.keys[request.key]!.revokedAt;
    if (revokedAt !== null && at >= revokedAt)
      this.lastAfterRevocation[request.key] = Math.max(this.lastAfterRevocation[request.key]!, at - revokedAt);
  }

  /** Runs every request through `arrive`, then everything they set off. */
  drive(arrive: (request: EdgeRequest) => void): void {
    const { times, keyOf, isolateOf } = this.world;
    for (let i = 0; i < times.length; i++) {
      this.events.runUntil(times[i]!);
      this.events.now = times[i]!;
      arrive({ index: i, key: keyOf[i]!, isolate: isolateOf[i]!, arrivedAt: times[i]!, trips: 0 });
    }
    this.events.runUntil(Number.POSITIVE_INFINITY);
    if (this.finished !== times.length) throw new Error(`${times.length - this.finished} requests were never decided`);
  }

  result(name: DesignName): DesignResult {
    const n = this.added.length;
    const sorted = Float64Array.from(this.added).sort();
    let sum = 0;
    let trips = 0;
    let maxTrips = 0;
    for (let i = 0; i < n; i++) {
      sum += this.added[i]!;
      trips += this.trips[i]!;
      maxTrips = Math.max(maxTrips, this.trips[i]!);
    }
    let overLimit = 0;
    for (const [k, times] of this.admissions.entries()) {
      const key = this.world.keys[k]!;
      if (times.length <= key.limit) continue;
      times.sort((a, b) => a - b);
      const order = Uint32Array.from(times.keys());
      const costs = new Uint8Array(times.length).fill(1);
      if (maxOvershoot(times, costs, order, { label: "", limit: key.limit, windowMs: key.windowMs }) > 0) overLimit++;
    }
    return {
      name,
      addedMs: { mean: n ? sum / n : 0, p50: percentile(sorted, 50), p99: percentile(sorted, 99) },
      remoteRoundTrips: { mean: n ? trips / n : 0, max: maxTrips },
      overLimit,
      revocationMs: { max: Math.max(0, ...this.lastAfterRevocation) },
    };
  }
}

/** `map`'s value for `key`, made and stored on first use. */
export function made<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = make();
    map.set(key, value);
  }
  return value;
}
