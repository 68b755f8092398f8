/**
 * Sliding-window counting over a bounded log of admitted requests: pure, no bindings.
 *
 * A window keeps (time, count) entries, oldest first. With at most MAX_ENTRIES distinct
 * admission times in the window the count is exact; past that, one entry is merged into the
 * next one. A merged request is counted as if admitted later, so it leaves the window later:
 * the count can only be over-estimated, never under, and so no true sliding window ever
 * admits more than its limit.
 *
 * Exactness for every limit is out of reach in bounded memory: a saturated window of L
 * requests needs each one's expiry time to decide exactly when the next fits. The bound is
 * chosen so that limits up to MAX_ENTRIES are exact and larger ones under-admit slightly
 * (bench/limiter-accuracy.ts measures by how much).
 */
/** 128 entries serialize to 2 KiB per limit. */
export const MAX_ENTRIES = 128;

export class SlidingWindow {
  readonly windowMs: number;
  private times: number[];
  private counts: number[];
  private total: number;

  // A plain field, not a parameter property: Node's type stripping (bench/) rejects those.
  constructor(windowMs: number, times: number[] = [], counts: number[] = []) {
    this.windowMs = windowMs;
    this.times = times;
    this.counts = counts;
    this.total = counts.reduce((sum, c) => sum + c, 0);
  }

  /** Drops entries that have left the window ending at `now`. */
  prune(now: number): void {
    const horizon = now - this.windowMs;
    let drop = 0;
    while (drop < this.times.length && this.times[drop]! <= horizon) this.total -= this.counts[drop++]!;
    if (drop > 0) {
      this.times.splice(0, drop);
      this.counts.splice(0, drop);
    }
  }

  /** Units admitted in the window ending at `now` (call `prune(now)` first). */
  get used(): number {
    return this.total;
  }

  get entries(): number {
    return this.times.length;
  }

  /** Milliseconds from `now` until `cost` more units fit under `limit`; 0 if they fit now. */
  waitMs(now: number, cost: number, limit: number): number {
    let excess = this.total + cost - limit;
    if (excess <= 0) return 0;
    if (cost > limit) return this.windowMs;
    for (let i = 0; i < this.times.length; i++) {
      excess -= this.counts[i]!;
      if (excess <= 0) return this.times[i]! + this.windowMs - now;
    }
    return this.windowMs;
  }

  /** Milliseconds until the oldest counted request leaves the window (one unit comes back). */
  nextReleaseMs(now: number): number {
    return this.times.length === 0 ? 0 : this.times[0]! + this.windowMs - now;
  }

  add(now: number, cost: number, maxEntries = MAX_ENTRIES): void {
    this.total += cost;
    const last = this.times.length - 1;
    // A clock that steps back is treated as standing still: the log stays ordered.
    if (last >= 0 && this.times[last]! >= now) {
      this.counts[last]! += cost;
      return;
    }
    this.times.push(now);
    this.counts.push(cost);
    if (this.times.length > maxEntries) this.mergeCheapest();
  }

  /**
   * Merges the entry whose move to its successor over-counts least: count × gap is how many
   * units, for how long, stay counted after they have really left. Weighing by count keeps
   * entries evenly loaded; merging merely the closest in time piles the old traffic into a few
   * huge entries whose late release makes the limiter deny in lumps.
   */
  private mergeCheapest(): void {
    let at = 0;
    let cheapest = Infinity;
    for (let i = 0; i + 1 < this.times.length; i++) {
      const overCount = (this.times[i + 1]! - this.times[i]!) * this.counts[i]!;
      if (overCount < cheapest) {
        cheapest = overCount;
        at = i;
      }
    }
    this.counts[at + 1]! += this.counts[at]!;
    this.times.splice(at, 1);
    this.counts.splice(at, 1);
  }

  /** Flat [time, count, time, count, …] for storage. */
  serialize(): Float64Array {
    const out = new Float64Array(this.times.length * 2);
    for (let i = 0; i < this.times.length; i++) {
      out[2 * i] = this.times[i]!;
      out[2 * i + 1] = this.counts[i]!;
    }
    return out;
  }

  static deserialize(windowMs: number, flat: Float64Array): SlidingWindow {
    const times: number[] = [];
    const counts: number[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      times.push(flat[i]!);
      counts.push(flat[i + 1]!);
    }
    return new SlidingWindow(windowMs, times, counts);
  }
}

export interface LimitState {
  limit: number;
  window: SlidingWindow;
}

export interface LimitOutcome {
  remaining: number;
  /** Milliseconds until quota comes back: the denial's wait, else the next release. */
  resetMs: number;
}

export interface Decision {
  allowed: boolean;
  outcomes: LimitOutcome[];
  /** Index of the limit that denied (the one with the longest wait). */
  deniedBy: number;
  retryAfterMs: number;
}

/** Decides all limits at once: the request is admitted only if every limit has room, and a denial consumes nothing. */
export function decide(limits: LimitState[], now: number, cost: number): Decision {
  let deniedBy = -1;
  let retryAfterMs = 0;
  for (let i = 0; i < limits.length; i++) {
    const { limit, window } = limits[i]!;
    window.prune(now);
    const wait = window.waitMs(now, cost, limit);
    if (wait > 0 && wait >= retryAfterMs) {
      deniedBy = i;
      retryAfterMs = wait;
    }
  }
  const allowed = deniedBy === -1;
  if (allowed) for (const { window } of limits) window.add(now, cost);
  const outcomes = limits.map(({ limit, window }) => ({
    remaining: Math.max(0, limit - window.used),
    resetMs: allowed ? window.nextReleaseMs(now) : Math.max(window.waitMs(now, cost, limit), window.nextReleaseMs(now)),
  }));
  return { allowed, outcomes, deniedBy, retryAfterMs };
}
