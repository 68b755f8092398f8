/**
 * Sliding-window counting over a bounded log of admitted requests: pure, no bindings.
 *
 * A window keeps entries oldest first, each a time range with the units admitted in it. While
 * a window holds at most MAX_ENTRIES distinct admission times every entry is a single instant
 * and the count is exact: every entry holds at least one unit, so any limit up to MAX_ENTRIES
 * per window is decided exactly. Past that, neighbours whose merge loses least (count × span)
 * become one range, and a range is taken to have been admitted evenly across it: as the window
 * slides over a range, that share of it leaves. Only the oldest entry can straddle the window's
 * edge, so the estimate is off by at most part of one entry, which the merge rule keeps small
 * (bench/limiter-accuracy.ts measures wrong decisions and overshoot against an exact log).
 *
 * The log is three arrays read from a head index: expiry advances the head (O(1) per entry) and
 * the dead prefix is dropped only once it outweighs the live part, so the hot path never moves
 * the log; merges run in batches (MERGE_BATCH of the log at once), so their scan is amortised.
 */
export const MAX_ENTRIES = 10_000;

/** Share of the entries a merge pass removes: one O(n log n) pass per n/16 admissions past the cap. */
const MERGE_BATCH = 1 / 16;

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
  readonly maxEntries: number;
  private starts: number[];
  private ends: number[];
  private counts: number[];
  /** Index of the oldest live entry; entries before it have left the window. */
  private head = 0;
  /** Units in the live entries. */
  private total: number;
  private headAlive = 0;
  private horizon = -Infinity;
  private changes: WindowChanges = emptyChanges();

  // Plain fields, not parameter properties: Node's type stripping (bench/) rejects those.
  constructor(windowMs: number, ends: number[] = [], counts: number[] = [], starts: number[] = [...ends], maxEntries = MAX_ENTRIES) {
    this.windowMs = windowMs;
    this.maxEntries = maxEntries;
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
    const from = this.head;
    let head = from;
    while (head < this.ends.length && this.ends[head]! <= horizon) {
      this.total -= this.counts[head]!;
      this.changes.upserts.delete(this.ends[head]!);
      head++;
    }
    if (head > from) {
      this.changes.prunedThrough = this.ends[head - 1]!;
      this.head = head;
      // Dropping the dead prefix only once it outweighs the live part keeps expiry O(1) amortised.
      if (head >= 64 && head * 2 >= this.ends.length) this.compact();
    }
    this.horizon = horizon;
    this.headAlive = this.head === this.ends.length ? 0 : this.aliveAt(this.head, horizon);
  }

  private compact(): void {
    this.starts = this.starts.slice(this.head);
    this.ends = this.ends.slice(this.head);
    this.counts = this.counts.slice(this.head);
    this.head = 0;
  }

  /** Units counted in the window ending at the last `prune(now)`; a partly expired range rounds up. */
  get used(): number {
    if (this.head === this.ends.length) return 0;
    return Math.max(0, Math.ceil(this.total - this.counts[this.head]! + this.headAlive - EPSILON));
  }

  get entries(): number {
    return this.ends.length - this.head;
  }

  /** Milliseconds from `now` until at most `target` units are counted (call `prune(now)` first). */
  waitUntilAtMost(now: number, target: number): number {
    if (this.head === this.ends.length) return 0;
    let alive = this.total - this.counts[this.head]! + this.headAlive;
    if (alive <= target + EPSILON) return 0;
    for (let i = this.head; i < this.ends.length; i++) {
      const entryAlive = i === this.head ? this.headAlive : this.counts[i]!;
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

  add(now: number, cost: number): void {
    this.total += cost;
    const last = this.ends.length - 1;
    // A clock that steps back is treated as standing still: the log stays ordered.
    if (last >= this.head && this.ends[last]! >= now) {
      this.counts[last]! += cost;
      if (last === this.head) this.headAlive += cost;
      this.noteChanged(last);
      return;
    }
    this.starts.push(now);
    this.ends.push(now);
    this.counts.push(cost);
    this.noteChanged(last + 1);
    if (last + 1 === this.head) this.headAlive = cost;
    if (this.entries > this.maxEntries) this.mergeCheapest();
  }

  /**
   * Counts `cost` units admitted at `at`, a moment before the log's newest entry (a closed lease's
   * units, folded in at its end: docs/rate-limits.md "Closed leases join the log"): in time order,
   * as an admission then would be. Units that already left the window ending at `now` add nothing.
   */
  insert(at: number, cost: number, now: number): void {
    if (at <= now - this.windowMs || !(cost > 0)) return;
    let i = this.ends.length;
    while (i > this.head && this.ends[i - 1]! >= at) i--;
    if (i === this.ends.length) {
      this.add(at, cost);
      return;
    }
    this.total += cost;
    if (this.ends[i] === at) this.counts[i]! += cost;
    else {
      this.starts.splice(i, 0, at);
      this.ends.splice(i, 0, at);
      this.counts.splice(i, 0, cost);
    }
    this.noteChanged(i);
    this.headAlive = this.aliveAt(this.head, this.horizon);
    if (this.entries > this.maxEntries) this.mergeCheapest();
  }

  /**
   * Merges the neighbours whose union is cheapest: count × span bounds how far the even-spread
   * assumption can be off for that range. Weighing by count keeps ranges evenly loaded; merging
   * merely the closest in time piles old traffic into a few huge ranges. One pass merges the
   * MERGE_BATCH cheapest disjoint pairs, so a saturated log pays the scan once per batch.
   */
  private mergeCheapest(): void {
    this.compact();
    const n = this.ends.length;
    const wanted = Math.max(1, Math.floor(n * MERGE_BATCH));
    const loss = new Float64Array(n - 1);
    for (let i = 0; i + 1 < n; i++) loss[i] = (this.ends[i + 1]! - this.starts[i]!) * (this.counts[i]! + this.counts[i + 1]!);
    const threshold = Float64Array.from(loss).sort()[wanted - 1]!;
    const starts: number[] = [];
    const ends: number[] = [];
    const counts: number[] = [];
    let merged = 0;
    for (let i = 0; i < n; i++) {
      if (merged < wanted && i + 1 < n && loss[i]! <= threshold) {
        this.changes.upserts.delete(this.ends[i]!);
        this.changes.deletes.push(this.ends[i]!);
        starts.push(this.starts[i]!);
        ends.push(this.ends[i + 1]!);
        counts.push(this.counts[i]! + this.counts[i + 1]!);
        this.changes.upserts.set(this.ends[i + 1]!, { start: this.starts[i]!, count: counts.at(-1)! });
        merged++;
        i++;
        continue;
      }
      starts.push(this.starts[i]!);
      ends.push(this.ends[i]!);
      counts.push(this.counts[i]!);
    }
    this.starts = starts;
    this.ends = ends;
    this.counts = counts;
    this.headAlive = this.aliveAt(0, this.horizon);
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

  /** Flat [start, end, count, …] of the live entries. */
  serialize(): Float64Array {
    const out = new Float64Array(this.entries * 3);
    for (let i = this.head; i < this.ends.length; i++) {
      const at = 3 * (i - this.head);
      out[at] = this.starts[i]!;
      out[at + 1] = this.ends[i]!;
      out[at + 2] = this.counts[i]!;
    }
    return out;
  }

  static deserialize(windowMs: number, flat: Float64Array, maxEntries = MAX_ENTRIES): SlidingWindow {
    const starts: number[] = [];
    const ends: number[] = [];
    const counts: number[] = [];
    for (let i = 0; i + 2 < flat.length; i += 3) {
      starts.push(flat[i]!);
      ends.push(flat[i + 1]!);
      counts.push(flat[i + 2]!);
    }
    return new SlidingWindow(windowMs, ends, counts, starts, maxEntries);
  }
}

/** Units a lease holds in a limit, counted at `end`: the last moment any of them can be used. */
export interface LeasedUnits {
  end: number;
  units: number;
}

export interface LimitState {
  limit: number;
  window: SlidingWindow;
  /** Leases on this limit: counted in every window that reaches their end, future ends included. */
  leases?: ReadonlyArray<LeasedUnits>;
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

function leasedAt(state: LimitState, at: number): number {
  let units = 0;
  for (const lease of state.leases ?? []) if (lease.end > at - state.window.windowMs) units += lease.units;
  return units;
}

/** Units a limit counts at `now` (after `prune(now)`): its log and its leases. */
export function countedUnits(state: LimitState, now: number): number {
  return state.window.used + leasedAt(state, now);
}

/** Milliseconds from `now` until a limit counts at most `target` units (after `prune(now)`): the earliest such moment. */
function waitUntilAtMost(state: LimitState, now: number, target: number): number {
  const { window } = state;
  let wait = 0;
  // Counts only fall as time passes, and between two lease departures the leased units stay put:
  // the first such stretch in which the log has left enough holds the answer.
  for (;;) {
    let leased = 0;
    let nextDeparture = Infinity;
    for (const lease of state.leases ?? []) {
      const leaves = lease.end + window.windowMs - now;
      if (leaves > wait) {
        leased += lease.units;
        nextDeparture = Math.min(nextDeparture, leaves);
      }
    }
    if (leased <= target) {
      const fits = Math.max(wait, window.waitUntilAtMost(now, target - leased));
      if (fits < nextDeparture) return Math.ceil(fits);
    }
    wait = nextDeparture;
  }
}

/** Milliseconds from `now` until `cost` more units fit under the limit; 0 if they fit now. */
export function waitMs(state: LimitState, now: number, cost: number): number {
  if (cost > state.limit) return state.window.windowMs;
  if (countedUnits(state, now) + cost <= state.limit) return 0;
  return Math.max(1, waitUntilAtMost(state, now, state.limit - cost));
}

/** Milliseconds until one more unit comes back. */
export function nextReleaseMs(state: LimitState, now: number): number {
  const used = countedUnits(state, now);
  return used === 0 ? 0 : waitUntilAtMost(state, now, used - 1);
}

/** Decides all limits at once: the request is admitted only if every limit has room, and a denial consumes nothing. */
export function decide(limits: LimitState[], now: number, cost: number): Decision {
  let deniedBy = -1;
  let retryAfterMs = 0;
  for (let i = 0; i < limits.length; i++) {
    const state = limits[i]!;
    state.window.prune(now);
    const wait = waitMs(state, now, cost);
    if (wait > 0 && wait >= retryAfterMs) {
      deniedBy = i;
      retryAfterMs = wait;
    }
  }
  const allowed = deniedBy === -1;
  if (allowed) for (const { window } of limits) window.add(now, cost);
  const outcomes = limits.map((state) => ({
    remaining: Math.max(0, state.limit - countedUnits(state, now)),
    resetMs: allowed ? nextReleaseMs(state, now) : Math.max(waitMs(state, now, cost), nextReleaseMs(state, now)),
  }));
  return { allowed, outcomes, deniedBy, retryAfterMs };
}
