/**
 * Accuracy of the bounded SlidingWindow against an exact sliding log.
 *
 * Both limiters see the same seeded arrival stream and each decides on its own state, so a
 * difference in one decision can shift later ones: the figures are what a client would see.
 * Run: node bench/limiter-accuracy.ts (Node 22 strips the types).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { decide, type LimitState, MAX_ENTRIES, SlidingWindow } from "../src/ratelimit/sliding-window.ts";

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const SEED = 0x5eed;

interface LimitSpec {
  label: string;
  limit: number;
  windowMs: number;
}

interface Arrivals {
  times: Float64Array;
  costs: Int32Array;
}

interface Case {
  scenario: string;
  label: string;
  limits: LimitSpec[];
  arrivals: Arrivals;
}

interface Tally {
  decisions: number;
  /** Decisions that differ from an exact log holding the same admitted history: the limiter's own error. */
  wrongGivenHistory: number;
  wrongAdmits: number;
  wrongDenials: number;
  /** max over true sliding windows of admitted/limit − 1, for the SlidingWindow's admissions. */
  maxOvershoot: number;
  /** The same for the exact log: a check on the reference itself, 0 or below. */
  exactMaxOvershoot: number;
  admittedOurs: number;
  admittedExact: number;
}

// ---------------------------------------------------------------- seeded randomness

type Rng = () => number;

function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function exponential(rng: Rng, mean: number): number {
  return -Math.log(1 - rng()) * mean;
}

function uniform(rng: Rng, lo: number, hi: number): number {
  return lo + (hi - lo) * rng();
}

// ---------------------------------------------------------------- traffic

/** Collects arrival times as fractional ms; `finish` rounds to whole ms like Date.now(). */
class StreamBuilder {
  private readonly times: number[] = [];
  private readonly costs: number[] = [];

  get size(): number {
    return this.times.length;
  }

  push(time: number, cost = 1): void {
    this.times.push(time);
    this.costs.push(cost);
  }

  poisson(rng: Rng, ratePerMs: number, from: number, to: number, cost: () => number = () => 1): void {
    for (let t = from + exponential(rng, 1 / ratePerMs); t < to; t += exponential(rng, 1 / ratePerMs)) this.push(t, cost());
  }

  finish(): Arrivals {
    const order = this.times.map((_, i) => i).sort((a, b) => this.times[a]! - this.times[b]!);
    const times = new Float64Array(order.length);
    const costs = new Int32Array(order.length);
    order.forEach((from, to) => {
      times[to] = Math.floor(this.times[from]!);
      costs[to] = this.costs[from]!;
    });
    return { times, costs };
  }
}

const ratePerMs = (spec: LimitSpec, load: number) => (load * spec.limit) / spec.windowMs;

/** Poisson arrivals at `load` × the limit's average rate, for about `decisions` requests. */
function steady(rng: Rng, spec: LimitSpec, load: number, decisions: number): Arrivals {
  const stream = new StreamBuilder();
  const rate = ratePerMs(spec, load);
  stream.poisson(rng, rate, 0, decisions / rate);
  return stream.finish();
}

/** On/off traffic: bursts at `peak` × the limit rate, silences in between, averaging `load`. */
function bursty(rng: Rng, spec: LimitSpec, load: number, peak: number, decisions: number): Arrivals {
  const stream = new StreamBuilder();
  const rate = ratePerMs(spec, peak);
  const meanOn = spec.windowMs / 4;
  const meanOff = meanOn * (peak / load - 1);
  let count = 0;
  for (let t = exponential(rng, meanOff); count < decisions; ) {
    const on = exponential(rng, meanOn);
    const before = stream.size;
    stream.poisson(rng, rate, t, t + on);
    count += stream.size - before;
    t += on + exponential(rng, meanOff);
  }
  return stream.finish();
}

/**
 * Bursts of about a limit's worth of requests, each placed a few ms before or after the moment
 * the previous burst leaves the window, over a light Poisson background: the classic way to get
 * 2× the limit through a fixed-window counter.
 */
function boundaryStraddling(rng: Rng, spec: LimitSpec, decisions: number): Arrivals {
  const stream = new StreamBuilder();
  const spreadMs = Math.max(2, spec.windowMs / 1000);
  let count = 0;
  let start = uniform(rng, 0, spec.windowMs);
  while (count < decisions) {
    const size = Math.round(spec.limit * uniform(rng, 0.5, 1.5));
    for (let i = 0; i < size; i++) stream.push(start + uniform(rng, 0, spreadMs));
    count += size;
    // The edge is where the previous burst's first requests leave the window.
    start += spec.windowMs + uniform(rng, -4, 4) - (rng() < 0.5 ? spreadMs : 0);
  }
  const end = start;
  const background = new StreamBuilder();
  background.poisson(rng, ratePerMs(spec, 0.2), 0, end);
  return mergeArrivals(stream.finish(), background.finish());
}

function mergeArrivals(...parts: Arrivals[]): Arrivals {
  const stream = new StreamBuilder();
  for (const { times, costs } of parts) for (const [i, t] of times.entries()) stream.push(t, costs[i]!);
  return stream.finish();
}

/** Requests costing 1 to 5 units, plus the occasional one that costs more than the smallest limit. */
function withCosts(rng: Rng, arrivals: Arrivals, oversized: number): Arrivals {
  const costs = arrivals.costs.map(() => (rng() < 0.001 ? oversized : 1 + Math.floor(rng() * 5)));
  return { times: arrivals.times, costs };
}

// ---------------------------------------------------------------- the exact reference

/** Every admitted unit's time, kept in full: exact, and unbounded in memory. */
class ExactLog {
  private times: number[] = [];
  private costs: number[] = [];
  private head = 0;
  used = 0;
  private readonly windowMs: number;

  constructor(windowMs: number) {
    this.windowMs = windowMs;
  }

  prune(now: number): void {
    const horizon = now - this.windowMs;
    while (this.head < this.times.length && this.times[this.head]! <= horizon) this.used -= this.costs[this.head++]!;
    if (this.head > 4096 && this.head * 2 > this.times.length) {
      this.times = this.times.slice(this.head);
      this.costs = this.costs.slice(this.head);
      this.head = 0;
    }
  }

  add(now: number, cost: number): void {
    this.times.push(now);
    this.costs.push(cost);
    this.used += cost;
  }
}

function exactWouldAdmit(logs: ExactLog[], limits: LimitSpec[], now: number, cost: number): boolean {
  let allowed = true;
  logs.forEach((log, i) => {
    log.prune(now);
    if (log.used + cost > limits[i]!.limit) allowed = false;
  });
  return allowed;
}

function decideExact(logs: ExactLog[], limits: LimitSpec[], now: number, cost: number): boolean {
  const allowed = exactWouldAdmit(logs, limits, now, cost);
  if (allowed) for (const log of logs) log.add(now, cost);
  return allowed;
}

// ---------------------------------------------------------------- measuring

/** Largest admitted/limit − 1 over every window (end − w, end]; the max is reached at an admission. */
function maxOvershoot(times: number[], costs: number[], spec: LimitSpec): number {
  let worst = 0;
  let inWindow = 0;
  let first = 0;
  for (let last = 0; last < times.length; last++) {
    inWindow += costs[last]!;
    while (times[first]! <= times[last]! - spec.windowMs) inWindow -= costs[first++]!;
    worst = Math.max(worst, inWindow);
  }
  return worst / spec.limit - 1;
}

function runCase({ limits, arrivals }: Case): Tally {
  const ours: LimitState[] = limits.map((l) => ({ limit: l.limit, window: new SlidingWindow(l.windowMs) }));
  const exact = limits.map((l) => new ExactLog(l.windowMs));
  // The exact log of our own admissions: what a perfect limiter would decide given the same history.
  const shadow = limits.map((l) => new ExactLog(l.windowMs));
  const admitted = { ours: { times: [] as number[], costs: [] as number[] }, exact: { times: [] as number[], costs: [] as number[] } };
  const tally: Tally = {
    decisions: 0,
    wrongGivenHistory: 0,
    wrongAdmits: 0,
    wrongDenials: 0,
    maxOvershoot: -1,
    exactMaxOvershoot: -1,
    admittedOurs: 0,
    admittedExact: 0,
  };
  const { times, costs } = arrivals;
  for (let i = 0; i < times.length; i++) {
    const now = times[i]!;
    const cost = costs[i]!;
    const oursAllowed = decide(ours, now, cost).allowed;
    const exactAllowed = decideExact(exact, limits, now, cost);
    const shadowAllowed = exactWouldAdmit(shadow, limits, now, cost);
    if (oursAllowed) for (const log of shadow) log.add(now, cost);
    tally.decisions++;
    if (oursAllowed !== shadowAllowed) tally.wrongGivenHistory++;
    if (oursAllowed && !exactAllowed) tally.wrongAdmits++;
    if (!oursAllowed && exactAllowed) tally.wrongDenials++;
    if (oursAllowed) record(admitted.ours, now, cost);
    if (exactAllowed) record(admitted.exact, now, cost);
  }
  tally.admittedOurs = admitted.ours.times.length;
  tally.admittedExact = admitted.exact.times.length;
  for (const spec of limits) {
    tally.maxOvershoot = Math.max(tally.maxOvershoot, maxOvershoot(admitted.ours.times, admitted.ours.costs, spec));
    tally.exactMaxOvershoot = Math.max(tally.exactMaxOvershoot, maxOvershoot(admitted.exact.times, admitted.exact.costs, spec));
  }
  return tally;
}

function record(log: { times: number[]; costs: number[] }, now: number, cost: number): void {
  log.times.push(now);
  log.costs.push(cost);
}

function combine(tallies: Tally[]): Tally {
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
    {
      decisions: 0,
      wrongGivenHistory: 0,
      wrongAdmits: 0,
      wrongDenials: 0,
      maxOvershoot: -1,
      exactMaxOvershoot: -1,
      admittedOurs: 0,
      admittedExact: 0,
    },
  );
}

// ---------------------------------------------------------------- the scenarios

const limit = (label: string, count: number, windowMs: number): LimitSpec => ({ label, limit: count, windowMs });
const PER_SECOND_10 = limit("10/s", 10, SECOND);
const PER_MINUTE_100 = limit("100/min", 100, MINUTE);
const PER_MINUTE_1K = limit("1,000/min", 1_000, MINUTE);
const PER_MINUTE_10K = limit("10,000/min", 10_000, MINUTE);
const PER_HOUR_50K = limit("50,000/h", 50_000, HOUR);
const PER_DAY_100K = limit("100,000/day", 100_000, DAY);
const SINGLE_LIMITS = [PER_SECOND_10, PER_MINUTE_100, PER_MINUTE_1K, PER_MINUTE_10K, PER_DAY_100K];

/** Enough requests for `windows` full windows at `load`, and never fewer than `floor`. */
const decisionsFor = (spec: LimitSpec, load: number, windows: number, floor: number) =>
  Math.max(floor, Math.round(spec.limit * load * windows));

function buildCases(rng: Rng): Case[] {
  const cases: Case[] = [];
  const add = (scenario: string, label: string, limits: LimitSpec[], arrivals: Arrivals) =>
    cases.push({ scenario, label, limits, arrivals });

  for (const spec of SINGLE_LIMITS) {
    for (const load of [0.9, 1.0, 1.1, 1.5]) {
      add("steady", `${spec.label} at ${load}×`, [spec], steady(rng, spec, load, decisionsFor(spec, load, 3, 20_000)));
    }
  }
  for (const spec of SINGLE_LIMITS) {
    for (const [load, peak] of [
      [0.8, 5],
      [1.2, 20],
    ] as const) {
      add(
        "bursty",
        `${spec.label}, ${peak}× peaks, ${load}× mean`,
        [spec],
        bursty(rng, spec, load, peak, decisionsFor(spec, load, 3, 20_000)),
      );
    }
  }
  for (const spec of SINGLE_LIMITS) {
    add("boundary", `${spec.label}`, [spec], boundaryStraddling(rng, spec, decisionsFor(spec, 1, 4, 30_000)));
  }
  const stacked = [PER_SECOND_10, PER_MINUTE_1K, PER_HOUR_50K];
  add("mixed limits", "10/s + 1,000/min + 50,000/h, steady", stacked, steady(rng, PER_MINUTE_1K, 1.1, 100_000));
  add("mixed limits", "10/s + 1,000/min + 50,000/h, bursty", stacked, bursty(rng, PER_MINUTE_1K, 1.0, 8, 100_000));
  add("mixed limits", "10/s + 1,000/min + 50,000/h, costs 1–5", stacked, withCosts(rng, steady(rng, PER_SECOND_10, 0.4, 60_000), 12));
  add("mixed limits", "10,000/min + 100,000/day, steady", [PER_MINUTE_10K, PER_DAY_100K], steady(rng, PER_DAY_100K, 1.3, 300_000));
  return cases;
}

// ---------------------------------------------------------------- reporting

const percent = (part: number, whole: number) => (whole === 0 ? 0 : (100 * part) / whole);
const fmtPercent = (value: number) => `${value.toFixed(4)}%`;

function row(label: string, t: Tally): string {
  const cells = [
    label,
    t.decisions.toLocaleString("en-US"),
    fmtPercent(percent(t.wrongGivenHistory, t.decisions)),
    fmtPercent(percent(t.wrongAdmits + t.wrongDenials, t.decisions)),
    fmtPercent(percent(t.wrongAdmits, t.decisions)),
    fmtPercent(percent(t.wrongDenials, t.decisions)),
    fmtPercent(100 * Math.max(0, t.maxOvershoot)),
    fmtPercent(percent(t.admittedOurs - t.admittedExact, t.admittedExact)),
  ];
  return `| ${cells.join(" | ")} |`;
}

function summary(t: Tally) {
  return {
    decisions: t.decisions,
    wrongGivenHistory: t.wrongGivenHistory,
    wrongGivenHistoryShare: percent(t.wrongGivenHistory, t.decisions) / 100,
    wrongAdmits: t.wrongAdmits,
    wrongDenials: t.wrongDenials,
    wrongShare: percent(t.wrongAdmits + t.wrongDenials, t.decisions) / 100,
    wrongAdmitShare: percent(t.wrongAdmits, t.decisions) / 100,
    wrongDenialShare: percent(t.wrongDenials, t.decisions) / 100,
    maxOvershoot: Math.max(0, t.maxOvershoot),
    exactMaxOvershoot: Math.max(0, t.exactMaxOvershoot),
    admittedOurs: t.admittedOurs,
    admittedExact: t.admittedExact,
  };
}

function main(): void {
  const started = performance.now();
  const cases = buildCases(mulberry32(SEED));
  const results = cases.map((c) => ({ scenario: c.scenario, label: c.label, tally: runCase(c) }));
  const scenarios = [...new Set(results.map((r) => r.scenario))];
  const perScenario = scenarios.map((s) => ({ scenario: s, tally: combine(results.filter((r) => r.scenario === s).map((r) => r.tally)) }));
  const overall = combine(results.map((r) => r.tally));
  const seconds = (performance.now() - started) / 1000;

  // "admitted vs exact" is the throughput cost of the bound; "wrong" counts every decision that differs,
  // and once the two limiters' states drift apart in a saturated window they differ often without either being unfair.
  const header = [
    "| scenario | decisions | wrong (same history) | differs from independent exact run | of which admits | of which denials | max overshoot | admitted vs exact |",
    "|---|---:|---:|---:|---:|---:|---:|---:|",
  ];
  console.log(`SlidingWindow (MAX_ENTRIES=${MAX_ENTRIES}) vs exact sliding log, seed ${SEED}\n`);
  console.log([...header, ...perScenario.map((s) => row(s.scenario, s.tally)), row("**overall**", overall)].join("\n"));
  console.log(`\nPer case:\n`);
  console.log([...header, ...results.map((r) => row(`${r.scenario}: ${r.label}`, r.tally))].join("\n"));
  console.log(`\n${overall.decisions.toLocaleString("en-US")} decisions in ${seconds.toFixed(1)} s`);

  mkdirSync(new URL("./results/", import.meta.url), { recursive: true });
  const report = {
    seed: SEED,
    maxEntries: MAX_ENTRIES,
    seconds,
    overall: summary(overall),
    scenarios: perScenario.map((s) => ({ scenario: s.scenario, ...summary(s.tally) })),
    cases: results.map((r) => ({ scenario: r.scenario, label: r.label, ...summary(r.tally) })),
  };
  writeFileSync(new URL("./results/limiter-accuracy.json", import.meta.url), `${JSON.stringify(report, null, 2)}\n`);
}

main();
