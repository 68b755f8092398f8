// Scoring one limiter's outcome on a trace against the exact sliding log.
import { ExactLog, exactWouldAdmit, type Outcome } from "./limiters.ts";
import type { Arrivals, LimitSpec } from "./traffic.ts";

export interface Tally {
  decisions: number;
  /** Decisions that differ from an exact log holding the same admitted history: the limiter's own error. */
  wrongGivenHistory: number;
  wrongAdmits: number;
  wrongDenials: number;
  /** max over true sliding windows of admitted/limit − 1, for the limiter's admissions. */
  maxOvershoot: number;
  /** The same for the exact log: a check on the reference itself, 0 or below. */
  exactMaxOvershoot: number;
  admittedOurs: number;
  admittedExact: number;
}

export const emptyTally = (): Tally => ({
  decisions: 0,
  wrongGivenHistory: 0,
  wrongAdmits: 0,
  wrongDenials: 0,
  maxOvershoot: -1,
  exactMaxOvershoot: -1,
  admittedOurs: 0,
  admittedExact: 0,
});

/** Largest admitted/limit − 1 over every window (end − w, end]; `order` lists admissions by time. */
export function maxOvershoot(times: ArrayLike<number>, costs: ArrayLike<number>, order: ArrayLike<number>, spec: LimitSpec): number {
  let worst = 0;
  let inWindow = 0;
  let first = 0;
  for (let last = 0; last < order.length; last++) {
    const at = times[order[last]!]!;
    inWindow += costs[order[last]!]!;
    while (times[order[first]!]! <= at - spec.windowMs) inWindow -= costs[order[first++]!]!;
    worst = Math.max(worst, inWindow);
  }
  return worst / spec.limit - 1;
}

/** Request indexes ordered by decision time (stable: arrival order among equal times). */
export function byDecisionTime(outcome: Outcome): Uint32Array {
  const { decidedAt } = outcome;
  const order = new Uint32Array(decidedAt.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  for (let i = 1; i < decidedAt.length; i++) {
    if (decidedAt[i]! < decidedAt[i - 1]!) return order.sort((a, b) => decidedAt[a]! - decidedAt[b]! || a - b);
  }
  return order;
}

export function admittedIn({ allowed }: Outcome, order: Uint32Array): Uint32Array {
  const admitted = new Uint32Array(order.length);
  let n = 0;
  for (const i of order) if (allowed[i] === 1) admitted[n++] = i;
  return admitted.subarray(0, n);
}

export function score(limits: LimitSpec[], { costs }: Arrivals, exact: Outcome, ours: Outcome): Tally {
  const tally = emptyTally();
  const order = byDecisionTime(ours);
  // The exact log of the limiter's own admissions: what a perfect limiter would decide given the same history.
  const shadow = limits.map((l) => new ExactLog(l.windowMs));
  for (const i of order) {
    const now = ours.decidedAt[i]!;
    const cost = costs[i]!;
    const oursAllowed = ours.allowed[i] === 1;
    const exactAllowed = exact.allowed[i] === 1;
    if (oursAllowed !== exactWouldAdmit(shadow, limits, now, cost)) tally.wrongGivenHistory++;
    if (oursAllowed) for (const log of shadow) log.add(now, cost);
    tally.decisions++;
    if (oursAllowed && !exactAllowed) tally.wrongAdmits++;
    if (!oursAllowed && exactAllowed) tally.wrongDenials++;
    if (oursAllowed) tally.admittedOurs++;
    if (exactAllowed) tally.admittedExact++;
  }
  const oursAdmitted = admittedIn(ours, order);
  const exactAdmitted = admittedIn(exact, byDecisionTime(exact));
  for (const spec of limits) {
    tally.maxOvershoot = Math.max(tally.maxOvershoot, maxOvershoot(ours.decidedAt, costs, oursAdmitted, spec));
    tally.exactMaxOvershoot = Math.max(tally.exactMaxOvershoot, maxOvershoot(exact.decidedAt, costs, exactAdmitted, spec));
  }
  return tally;
}

export function combine(tallies: Tally[]): Tally {
  return tallies.reduce(
    (sum, t) => ({
      decisions: sum.decisions + t.decisions,
      wrongGivenHistory: sum.wrongGivenHistory + t.wrongGivenHistory,
      wrongAdmits: sum.wrongAdmits + t.wrongAdmits,
      wrongDenials: sum.wrongDenials + t.wrongDenials,
      maxOvershoot: Math.max(sum.maxOvershoot, t.maxOvershoot),
      exactMaxOvershoot: Math.max(sum.exactMaxOvershoot, t.exactMaxOvershoot),
      admittedOurs: sum.admittedOurs + t.admittedOurs,
      admittedExact: sum.admittedExact + t.admittedExact,
    }),
    emptyTally(),
  );
}
