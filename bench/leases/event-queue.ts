// Virtual time: events run in time order (ties in the order they were scheduled). Pure, no timers.
// The one event queue of the lease simulations (bench/leases/, test/support/lease-simulation.ts).

interface Scheduled {
  at: number;
  seq: number;
  run: () => void;
}

export class EventQueue {
  private readonly heap: Scheduled[] = [];
  private seq = 0;
  /** Time of the event running now (or last run). */
  now = Number.NEGATIVE_INFINITY;

  get size(): number {
    return this.heap.length;
  }

  /** Runs `run` at `at`; a time already past runs next (time never goes back). */
  schedule(at: number, run: () => void): void {
    this.heap.push({ at: Math.max(at, this.now), seq: this.seq++, run });
    let i = this.heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(this.heap[i]!, this.heap[parent]!)) break;
      [this.heap[i], this.heap[parent]] = [this.heap[parent]!, this.heap[i]!];
      i = parent;
    }
  }

  /**
   * Runs every event due at or before `until`, including those they schedule in that span; then the
   * time is `until` (when finite), so what happens next happens then.
   */
  runUntil(until: number): void {
    while (this.heap.length > 0 && this.heap[0]!.at <= until) {
      const next = this.pop();
      this.now = next.at;
      next.run();
    }
    if (Number.isFinite(until) && until > this.now) this.now = until;
  }

  private pop(): Scheduled {
    const top = this.heap[0]!;
    const last = this.heap.pop()!;
    if (this.heap.length > 0) {
      this.heap[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        if (left < this.heap.length && before(this.heap[left]!, this.heap[smallest]!)) smallest = left;
        if (right < this.heap.length && before(this.heap[right]!, this.heap[smallest]!)) smallest = right;
        if (smallest === i) break;
        [this.heap[i], this.heap[smallest]] = [this.heap[smallest]!, this.heap[i]!];
        i = smallest;
      }
    }
    return top;
  }
}

const before = (a: Scheduled, b: Scheduled) => a.at < b.at || (a.at === b.at && a.seq < b.seq);
