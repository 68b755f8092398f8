/**
 * Sliding-window counting over a bounded log of admitted requests: pure, no bindings.
 *
 * A window keeps entries oldest first, each a time range with the units admitted in it. While
 * a window holds at most MAX_ENTRIES distinct admission times every entry is a single instant
 * and the count is exact. Past that, the two neighbours whose merge loses least (count × span)
 * become one range, and a range is taken to have been admitted evenly across it: as the window
 * slides over a range, that share of it leaves. Only the oldest entry can straddle the window's
 * edge, so the estimate is off by at most part of one entry, which the merge rule keeps small
 * (bench/limiter-accuracy.ts measures wrong decisions and overshoot against an exact log).
 */
export const MAX_ENTRIES = 1024;

/** Entry-level edits since the last `takeChanges`; entries are identified by their end time. */
export interface WindowChanges {
  /** Every entry ending at or before this has left the window. */
  prunedThrough: number | undefined;
  deletes: number[];
  upserts: Map<number, { start: number; count: number }>;
}

const emptyChanges = (): WindowChanges => ({ prunedThrough: undefined, deletes: [], upserts: new Map() });

/** Fractions below this are rounding noise, not a unit still in the window. */
const EPSILON = 1e-9;

export class SlidingWindow {
  readonly windowMs: number;
  private starts: number[];
  private ends: number[];
  private counts: number[];
  private total: number;
  private headAlive = 0;
  private horizon = -Infinity;
  private changes: WindowChanges = emptyChanges();

  // A plain field, not a parameter property: Node's type stripping (bench/) rejects those.
  constructor(windowMs: number, ends: number[] = [], counts: number[] = [], starts: number[] = [...ends]) {
    this.windowMs = windowMs;
    this.starts = starts;
    this.ends = ends;
    this.counts = counts;
    this.total = counts.reduce((sum, c) => sum + c, 0);
    this.headAlive = counts[0] ?? 0;
  }

  /** Share of entry `i` still inside a window whose edge is at `horizon` (admissions after it count). */
  private aliveAt(i: number, horizon: number): number {
    const start = this.starts[i]!;
    const end = this.ends[i]!;
    if (end <= horizon) return 0;
    if (start > horizon || start === end) return this.counts[i]!;
    return (this.counts[i]! * (end - horizon)) / (end - start);
  }

  /** Drops entries that have left the window ending at `now`. */
  prune(now: number): void {
    const horizon = now - this.windowMs;
    let drop = 0;
    while (drop < this.ends.length && this.ends[drop]! <= horizon) this.total -= this.counts[drop++]!;
    if (drop > 0) {
      this.changes.prunedThrough = this.ends[drop - 1]!;
      for (let i = 0; i < drop; i++) this.changes.upserts.delete(this.ends[i]!);
      this.starts.splice(0, drop);
      this.ends.splice(0, drop);
      this.counts.splice(0, drop);
    }
    this.horizon = horizon;
    this.headAlive = this.ends.length === 0 ? 0 : this.aliveAt(0, horizon);
  }

  /** Units counted in the window ending at the last `prune(now)`; a partly expired range rounds up. */
  get used(): number {
    if (this.ends.length === 0) return 0;
    return Math.max(0, Math.ceil(this.total - this.counts[0]! + this.headAlive - EPSILON));
  }

  get entries(): number {
    return this.ends.length;
  }

  /** Milliseconds from `now` until at most `target` units are counted (call `prune(now)` first). */
  private waitUntilAtMost(now: number, target: number): number {
    if (this.ends.length === 0) return 0;
    let alive = this.total - this.counts[0]! + this.headAlive;
    if (alive <= target + EPSILON) return 0;
    for (let i = 0; i < this.ends.length; i++) {
      const entryAlive = i === 0 ? this.headAlive : this.counts[i]!;
      if (alive - entryAlive <= target + EPSILON) {
        const start = this.starts[i]!;
        const end = this.ends[i]!;
        // The edge position where this entry's alive share has shrunk enough.
        const keep = entryAlive - (alive - target);
        const horizon = start === end ? end : end - (keep * (end - start)) / this.counts[i]!;
        return Math.max(0, Math.ceil(horizon + this.windowMs - now));
      }
      alive -= entryAlive;
    }
    return this.windowMs;
  }

  /** Milliseconds from `now` until `cost` more units fit under `limit`; 0 if they fit now. */
  waitMs(now: number, cost: number, limit: number): number {
    if (cost > limit) return this.windowMs;
    if (this.used + cost <= limit) return 0;
    return Math.max(1, this.waitUntilAtMost(now, limit - cost));
  }

  /** Milliseconds until one more unit comes back. */
  nextReleaseMs(now: number): number {
    const used = this.used;
    return used === 0 ? 0 : this.waitUntilAtMost(now, used - 1);
  }

  add(now: number, cost: number, maxEntries = MAX_ENTRIES): void {
    this.total += cost;
    const last = this.ends.length - 1;
    // A clock that steps back is treated as standing still: the log stays ordered.
    if (last >= 0 && this.ends[last]! >= now) {
      this.counts[last]! += cost;
      if (last === 0) this.headAlive += cost;
      this.noteChanged(last);
      return;
    }
    this.starts.push(now);
    this.ends.push(now);
    this.counts.push(cost);
    this.noteChanged(last + 1);
    if (last === -1) this.headAlive = cost;
    if (this.ends.length > maxEntries) this.mergeCheapest();
  }

  /**
   * Merges the neighbours whose union is cheapest: count × span bounds how far the even-spread
   * assumption can be off for that range. Weighing by count keeps ranges evenly loaded; merging
   * merely the closest in time piles old traffic into a few huge ranges.
   */
  private mergeCheapest(): void {
    let at = 0;
    let cheapest = Infinity;
    for (let i = 0; i + 1 < this.ends.length; i++) {
      const loss = (this.ends[i + 1]! - this.starts[i]!) * (this.counts[i]! + this.counts[i + 1]!);
      if (loss < cheapest) {
        cheapest = loss;
        at = i;
      }
    }
    this.counts[at + 1]! += this.counts[at]!;
    this.starts[at + 1] = this.starts[at]!;
    this.changes.upserts.delete(this.ends[at]!);
    this.changes.deletes.push(this.ends[at]!);
    this.noteChanged(at + 1);
    this.starts.splice(at, 1);
    this.ends.splice(at, 1);
    this.counts.splice(at, 1);
    if (at === 0) this.headAlive = this.aliveAt(0, this.horizon);
  }

  private noteChanged(i: number): void {
    this.changes.upserts.set(this.ends[i]!, { start: this.starts[i]!, count: this.counts[i]! });
  }

  /** What changed since the last call, for storage that writes only that (one row per entry). */
  takeChanges(): WindowChanges {
    const changes = this.changes;
    this.changes = emptyChanges();
    return changes;
  }

  /** Flat [start, end, count, …]. */
  serialize(): Float64Array {
    const out = new Float64Array(this.ends.length * 3);
    for (let i = 0; i < this.ends.length; i++) {
      out[3 * i] = this.starts[i]!;
      out[3 * i + 1] = this.ends[i]!;
      out[3 * i + 2] = this.counts[i]!;
    }
    return out;
  }

  static deserialize(windowMs: number, flat: Float64Array): SlidingWindow {
    const starts: number[] = [];
    const ends: number[] = [];
    const counts: number[] = [];
    for (let i = 0; i + 2 < flat.length; i += 3) {
      starts.push(flat[i]!);
      ends.push(flat[i + 1]!);
      counts.push(flat[i + 2]!);
    }
    return new SlidingWindow(windowMs, ends, counts, starts);
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
