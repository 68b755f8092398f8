import type { LimitDecision } from "./decision";

interface Denial {
  until: number;
  decision: LimitDecision;
  /** Requests refused here without asking the object: reported to it with the next check. */
  refused: number;
  /** The key version it was decided for: an admin write (say, a raised limit) makes it void. */
  version: number;
}

/**
 * Isolate-local memory of "denied until": while a key is over a limit, its requests on the same
 * route are refused here without a Durable Object round-trip. Quota only comes back with time,
 * and no other isolate can hasten that, so this never admits a request the object would refuse;
 * it only skips asking. Bounded in size; entries die at their `until`.
 */
export class DenialMemo {
  private readonly denials = new Map<string, Denial>();

  constructor(private readonly maxEntries = 10_000) {}

  /** The remembered denial, with Retry-After and the denying policy's reset counted down to `now`. */
  get(key: string, version: number, now: number): LimitDecision | undefined {
    const denial = this.denials.get(key);
    if (!denial || denial.until <= now || denial.version !== version) return undefined;
    denial.refused++;
    const retryAfter = Math.max(1, Math.ceil((denial.until - now) / 1000));
    const policies = denial.decision.policies.map((p, i) =>
      i === denial.decision.nearest ? { ...p, remaining: 0, reset: retryAfter } : p,
    );
    return { ...denial.decision, policies, retryAfter };
  }

  /** Forgets the key's denial and says how many requests it refused, for the object's usage counts. */
  takeRefused(key: string): number {
    const denial = this.denials.get(key);
    if (!denial) return 0;
    this.denials.delete(key);
    return denial.refused;
  }

  remember(key: string, version: number, decision: LimitDecision, now: number): void {
    if (decision.outcome !== "rate_limited" || decision.deniedUntil === undefined || decision.deniedUntil <= now) return;
    if (this.denials.size >= this.maxEntries) {
      for (const [k, d] of this.denials) if (d.until <= now) this.denials.delete(k);
      if (this.denials.size >= this.maxEntries) this.denials.delete(this.denials.keys().next().value as string);
    }
    this.denials.set(key, { until: decision.deniedUntil, decision, refused: 0, version });
  }
}
