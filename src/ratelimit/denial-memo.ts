// The isolate's memory of a key's recent refusal (with leases off): until its retry time, requests as costly
// are refused here without an object call, and reported with the next check (docs/rate-limits.md).
import type { LimitDecision } from "./decision";

interface Denial {
  until: number;
  decision: LimitDecision;
  /** Requests refused here without asking the object: reported to it with the next check. */
  refused: number;
  /** The key version it was decided for: an admin write (say, a raised limit) makes it void. */
  version: number;
  /** Units the denied request asked for: a smaller cost may fit sooner, so only as many or more are refused here. */
  cost: number;
}

/**
 * Isolate-local memory of "denied until": while a key (or client IP) is over a limit, its
 * requests on the same route are refused here without a Durable Object round-trip. An entry
 * lives until the denial ends but never longer than `LEASE_TTL_MS`: another isolate's admin
 * write (a revocation, a raised limit) must reach this one within that bound, and only the
 * object knows of it. Bounded in size.
 */
export class DenialMemo {
  private readonly denials = new Map<string, Denial>();

  constructor(private readonly maxEntries = 10_000) {}

  /** The remembered denial, with Retry-After and the denying policy's reset counted down to `now`. */
  get(subject: string, route: string, version: number, now: number, cost = 1): LimitDecision | undefined {
    const denial = this.denials.get(memoKey(subject, route));
    if (!denial || denial.until <= now || denial.version !== version || cost < denial.cost) return undefined;
    denial.refused++;
    const retryAfter = Math.max(1, Math.ceil(((denial.decision.deniedUntil ?? denial.until) - now) / 1000));
    const policies = denial.decision.policies.map((p, i) =>
      i === denial.decision.nearest ? { ...p, remaining: 0, reset: retryAfter } : p,
    );
    return { ...denial.decision, policies, retryAfter };
  }

  /** Forgets the denial and says how many requests it refused, for the object's usage counts. */
  takeRefused(subject: string, route: string): number {
    const key = memoKey(subject, route);
    const denial = this.denials.get(key);
    if (!denial) return 0;
    this.denials.delete(key);
    return denial.refused;
  }

  /** Keeps a denial until `min(deniedUntil, now + maxAgeMs)`; with `maxAgeMs` 0, not at all. */
  remember(subject: string, route: string, version: number, decision: LimitDecision, now: number, maxAgeMs: number, cost = 1): void {
    if (decision.outcome !== "rate_limited" || decision.deniedUntil === undefined) return;
    const until = Math.min(decision.deniedUntil, now + maxAgeMs);
    if (until <= now) return;
    if (this.denials.size >= this.maxEntries) {
      for (const [k, d] of this.denials) if (d.until <= now) this.denials.delete(k);
      if (this.denials.size >= this.maxEntries) this.denials.delete(this.denials.keys().next().value as string);
    }
    this.denials.set(memoKey(subject, route), { until, decision, refused: 0, version, cost });
  }

  /** Ends every denial of the subject, on all routes: this isolate just served an admin write to it. */
  forget(subject: string): void {
    // Admin writes are rare next to requests: a scan keeps the hot path to one flat map lookup.
    // Ended, not deleted: what they refused is still reported with the next check.
    const prefix = memoKey(subject, "");
    for (const [key, denial] of this.denials) if (key.startsWith(prefix)) denial.until = 0;
  }
}

const memoKey = (subject: string, route: string) => `${subject}\n${route}`;

/** The one memo of this isolate, shared by the request path and the admin writes it serves. */
export const isolateDenials = new DenialMemo();
