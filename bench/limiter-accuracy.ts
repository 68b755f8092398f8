/**
 * Accuracy of rate limiters against an exact sliding log, on the same seeded traces: the
 * SlidingWindow this gateway runs, Cloudflare's sliding-window counter, and the gateway's leases
 * over 2, 8 and 32 isolates (bench/leases/, calls to the object delayed in virtual time).
 *
 * Each limiter sees the same arrival stream and decides on its own state, so a difference in one
 * decision can shift later ones: the figures are what a client would see.
 * Run: npm run bench:limiter (Node 22 strips the types): traces of a little over one window
 * each, a few minutes; `npm run bench:limiter -- --full` for three to four windows each (about
 * five times as long).
 */
import { parseArgs } from "node:util";
import { MAX_ENTRIES } from "../src/ratelimit/sliding-window.ts";
import {
  cloudflareCounterLimiter,
  exactLimiter,
  LEASED_RPC_DELAY_MS,
  type Limiter,
  leasedLimiter,
  slidingWindowLimiter,
} from "./accuracy/limiters.ts";
import { combine, score, type Tally } from "./accuracy/score.ts";
import { type Arrivals, boundaryStraddling, bursty, type LimitSpec, mulberry32, type Rng, steady, withCosts } from "./accuracy/traffic.ts";
import { DEFAULT_LEASE_TTL_MS } from "./leases/leased.ts";
import { type AccuracyResults, accuracyTables, type LimiterAccuracy, summary } from "./report/accuracy.ts";
import { markdownTable } from "./report/markdown.ts";
import { updatePerformanceDoc } from "./report/performance-doc.ts";
import { writeResultFile } from "./results.ts";

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const SEED = 0x5eed;

interface Case {
  scenario: string;
  label: string;
  limits: LimitSpec[];
  arrivals: Arrivals;
}

const FULL = parseArgs({ options: { full: { type: "boolean", default: false } } }).values.full === true;
/** Share of the full run's trace lengths: the day-long traces dominate the run, the leased limiters' most. */
const TRACE_SCALE = FULL ? 1 : 0.4;

const LIMITERS: Limiter[] = [slidingWindowLimiter, cloudflareCounterLimiter, ...[2, 8, 32].map((n) => leasedLimiter(n, SEED))];

// ---------------------------------------------------------------- the scenarios

const limit = (label: string, count: number, windowMs: number): LimitSpec => ({ label, limit: count, windowMs });
const PER_SECOND_10 = limit("10/s", 10, SECOND);
const PER_MINUTE_100 = limit("100/min", 100, MINUTE);
const PER_MINUTE_1K = limit("1,000/min", 1_000, MINUTE);
const PER_MINUTE_10K = limit("10,000/min", 10_000, MINUTE);
const PER_HOUR_50K = limit("50,000/h", 50_000, HOUR);
const PER_DAY_100K = limit("100,000/day", 100_000, DAY);
const SINGLE_LIMITS = [PER_SECOND_10, PER_MINUTE_100, PER_MINUTE_1K, PER_MINUTE_10K, PER_DAY_100K];

/** Enough requests for `windows` full windows at `load` (scaled), and never fewer than `floor`. */
const decisionsFor = (spec: LimitSpec, load: number, windows: number, floor: number) =>
  Math.max(floor, Math.round(spec.limit * load * windows * TRACE_SCALE));
const scaled = (decisions: number) => Math.round(decisions * TRACE_SCALE);

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
  add("mixed limits", "10/s + 1,000/min + 50,000/h, steady", stacked, steady(rng, PER_MINUTE_1K, 1.1, scaled(100_000)));
  add("mixed limits", "10/s + 1,000/min + 50,000/h, bursty", stacked, bursty(rng, PER_MINUTE_1K, 1.0, 8, scaled(100_000)));
  add(
    "mixed limits",
    "10/s + 1,000/min + 50,000/h, costs 1–5",
    stacked,
    withCosts(rng, steady(rng, PER_SECOND_10, 0.4, scaled(60_000)), 12),
  );
  add("mixed limits", "10,000/min + 100,000/day, steady", [PER_MINUTE_10K, PER_DAY_100K], steady(rng, PER_DAY_100K, 1.3, scaled(300_000)));
  return cases;
}

// ---------------------------------------------------------------- running

function measureLimiter(limiter: Limiter, cases: Case[], exact: ReturnType<Limiter["run"]>[]): LimiterAccuracy {
  const results = cases.map((c, i) => ({
    scenario: c.scenario,
    label: c.label,
    tally: score(c.limits, c.arrivals, exact[i]!, limiter.run(c.limits, c.arrivals)),
  }));
  const scenarios = [...new Set(results.map((r) => r.scenario))];
  const perScenario = scenarios.map((s) => ({ scenario: s, tally: combine(results.filter((r) => r.scenario === s).map((r) => r.tally)) }));
  const tallies: Tally[] = results.map((r) => r.tally);
  return {
    limiter: limiter.name,
    overall: summary(combine(tallies)),
    scenarios: perScenario.map((s) => ({ scenario: s.scenario, ...summary(s.tally) })),
    cases: results.map((r) => ({ scenario: r.scenario, label: r.label, ...summary(r.tally) })),
  };
}

const cpuSeconds = ({ user, system }: NodeJS.CpuUsage) => (user + system) / 1e6;

function main(): void {
  const started = performance.now();
  const cases = buildCases(mulberry32(SEED));
  const exact = cases.map((c) => exactLimiter.run(c.limits, c.arrivals));
  const limiters = LIMITERS.map((limiter) => measureLimiter(limiter, cases, exact));
  const results: AccuracyResults = {
    generatedAt: new Date().toISOString(),
    command: FULL ? "npm run bench:limiter -- --full" : "npm run bench:limiter",
    seed: SEED,
    maxEntries: MAX_ENTRIES,
    seconds: (performance.now() - started) / 1000,
    cpuSeconds: cpuSeconds(process.cpuUsage()),
    leases: { rpcDelayMs: LEASED_RPC_DELAY_MS, leaseTtlMs: DEFAULT_LEASE_TTL_MS },
    limiters,
  };
  console.log(accuracyTables(results).map(markdownTable).join("\n\n"));
  console.log(`\n${limiters[0]!.overall.decisions.toLocaleString("en-US")} decisions per limiter in ${results.seconds.toFixed(1)} s`);
  writeResultFile("limiter-accuracy.json", `${JSON.stringify(results, null, 2)}\n`);
  updatePerformanceDoc();
}

main();
