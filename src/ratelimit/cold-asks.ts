/**
 * What a key's object remembers of the lease asks cold keys' `resolve`s carry (key-records.ts; the
 * edge model's object too): pure, in memory, for a few seconds. An isolate sends one lease-asking
 * `resolve` per cold key at a time; the key's other cold requests there meanwhile (its racers) carry
 * the same ask id, and the isolate never uses a lease whose ask had racers. A racer gives that lease
 * back here, so a cold burst admits exactly its limit: its unit would otherwise stay unused until
 * the isolate reported it, after the burst's requests were all decided (docs/rate-limits.md "One
 * round trip for a cold key"). Lost on a restart: the isolate's own report then gives it back.
 */

/** One ask id's lease, once granted, and whether a racer of it came. */
interface ColdAsk {
  at: number;
  lease: { isolateId: string; leaseId: number } | undefined;
  raced: boolean;
}

/** An ask id is forgotten after this long: its lease has ended, its racers are long answered. */
const REMEMBERED_MS = 10_000;

export class ColdAsks {
  private readonly asks = new Map<string, ColdAsk>();

  /** The asking `resolve`: whether its lease may be granted (no racer of it came first). */
  mayLease(askId: string, now: number): boolean {
    this.forget(now);
    return !this.asks.get(askId)?.raced;
  }

  /** The asking `resolve`'s lease, granted: a racer of it gives it back. */
  granted(askId: string, isolateId: string, leaseId: number, now: number): void {
    this.forget(now);
    this.asks.delete(askId);
    this.asks.set(askId, { at: now, lease: { isolateId, leaseId }, raced: false });
  }

  /** A racer: the lease of its ask to close unused, the first time (none after, nor before the ask came). */
  raced(askId: string, now: number): { isolateId: string; leaseId: number } | undefined {
    this.forget(now);
    const ask = this.asks.get(askId);
    if (!ask) this.asks.set(askId, { at: now, lease: undefined, raced: true });
    else ask.raced = true;
    const lease = ask?.lease;
    if (ask) ask.lease = undefined;
    return lease;
  }

  private forget(now: number): void {
    for (const [id, ask] of this.asks) {
      if (now - ask.at < REMEMBERED_MS) return;
      this.asks.delete(id);
    }
  }
}
