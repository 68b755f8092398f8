// bench/results/limiter-accuracy.json (written by `npm run bench:limiter`) and its tables.
import type { Tally } from "../accuracy/score.ts";
import type { Table } from "./tables.ts";

export interface AccuracySummary {
  decisions: number;
  wrongGivenHistory: number;
  wrongGivenHistoryShare: number;
  wrongAdmits: number;
  wrongDenials: number;
  wrongShare: number;
  wrongAdmitShare: number;
  wrongDenialShare: number;
  maxOvershoot: number;
  exactMaxOvershoot: number;
  admittedOurs: number;
  admittedExact: number;
}

export interface LimiterAccuracy {
  limiter: string;
  overall: AccuracySummary;
  scenarios: ({ scenario: string } & AccuracySummary)[];
  cases: ({ scenario: string; label: string } & AccuracySummary)[];
}

export interface AccuracyResults {
  generatedAt: string;
  command: string;
  seed: number;
  maxEntries: number;
  seconds: number;
  /** CPU the run took (user + system): the wall time depends on what else the machine runs. */
  cpuSeconds?: number;
  /** How the leased limiters ran. */
  leases: { rpcDelayMs: [number, number]; leaseTtlMs: number };
  limiters: LimiterAccuracy[];
}

const share = (part: number, whole: number) => (whole === 0 ? 0 : part / whole);

export function summary(t: Tally): AccuracySummary {
  return {
    decisions: t.decisions,
    wrongGivenHistory: t.wrongGivenHistory,
    wrongGivenHistoryShare: share(t.wrongGivenHistory, t.decisions),
    wrongAdmits: t.wrongAdmits,
    wrongDenials: t.wrongDenials,
    wrongShare: share(t.wrongAdmits + t.wrongDenials, t.decisions),
    wrongAdmitShare: share(t.wrongAdmits, t.decisions),
    wrongDenialShare: share(t.wrongDenials, t.decisions),
    maxOvershoot: Math.max(0, t.maxOvershoot),
    exactMaxOvershoot: Math.max(0, t.exactMaxOvershoot),
    admittedOurs: t.admittedOurs,
    admittedExact: t.admittedExact,
  };
}

const percent = (fraction: number) => `${(100 * fraction).toFixed(4)}%`;

const METRIC_HEADERS = [
  "decisions",
  "wrong (same history)",
  "differs from independent exact run",
  "of which admits",
  "of which denials",
  "max overshoot",
  "admitted / exact",
];

function metricCells(s: AccuracySummary): string[] {
  return [
    s.decisions.toLocaleString("en-US"),
    percent(s.wrongGivenHistoryShare),
    percent(s.wrongShare),
    percent(s.wrongAdmitShare),
    percent(s.wrongDenialShare),
    percent(s.maxOvershoot),
    percent(share(s.admittedOurs, s.admittedExact)),
  ];
}

const NUMERIC = METRIC_HEADERS.map((_, i) => i + 1);

export function accuracyTables(results: AccuracyResults): Table[] {
  const { limiters } = results;
  const overall: Table = {
    title: `Limiters against an exact sliding log, all traces (seed ${results.seed}, SlidingWindow MAX_ENTRIES=${results.maxEntries})`,
    headers: ["limiter", ...METRIC_HEADERS],
    numeric: NUMERIC,
    rows: limiters.map((l) => [l.limiter, ...metricCells(l.overall)]),
  };
  const perScenario = limiters.map(
    (l): Table => ({
      title: `${l.limiter}, per scenario`,
      headers: ["scenario", ...METRIC_HEADERS],
      numeric: NUMERIC,
      rows: l.scenarios.map((s) => [s.scenario, ...metricCells(s)]),
    }),
  );
  const first = limiters[0];
  const overshootPerCase: Table[] = first
    ? [
        {
          title: "Max overshoot per trace (admitted in the worst true sliding window / limit − 1)",
          headers: ["trace", ...limiters.map((l) => l.limiter)],
          numeric: limiters.map((_, i) => i + 1),
          rows: first.cases.map((c, i) => [`${c.scenario}: ${c.label}`, ...limiters.map((l) => percent(l.cases[i]?.maxOvershoot ?? NaN))]),
        },
      ]
    : [];
  return [overall, ...perScenario, ...overshootPerCase];
}
