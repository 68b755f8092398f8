// Each section of the report as a plain table, rendered to the terminal or to markdown.
import { type BenchResults, GOAL, TARGET_LABELS } from "../results.ts";

export interface Table {
  title: string;
  headers: string[];
  rows: string[][];
  /** Column indexes aligned right (numbers). */
  numeric: number[];
}

const fixed = (n: number | null | undefined, digits: number) =>
  n === null || n === undefined || Number.isNaN(n) ? "–" : n.toFixed(digits);
const whole = (n: number) => Math.round(n).toLocaleString("en-US");
const signed = (n: number, digits: number) => `${n >= 0 ? "+" : ""}${n.toFixed(digits)}`;

export function throughputTable(results: BenchResults): Table {
  return {
    title: "Throughput and latency",
    headers: ["concurrency", "target", "req/s", "p50 ms", "p99 ms", "workerd CPU µs/req", "errors"],
    numeric: [0, 2, 3, 4, 5, 6],
    rows: results.throughput.map((r) => [
      String(r.concurrency),
      TARGET_LABELS[r.target],
      whole(r.rps),
      fixed(r.p50Ms, 2),
      fixed(r.p99Ms, 2),
      r.workerdCpuUsPerRequest === null ? "–" : whole(r.workerdCpuUsPerRequest),
      String(r.errors),
    ]),
  };
}

export function ratioTable(results: BenchResults): Table {
  return {
    title: `Gateway against the bare worker (goal: ≥ ${GOAL.throughputRatio}× throughput, ≤ ${GOAL.addedP50Ms} ms added p50)`,
    headers: ["concurrency", "(c)/(b) req/s", "added p50 ms", "added p99 ms", "(c)/(b) CPU/req", "goal met"],
    numeric: [0, 1, 2, 3, 4],
    rows: results.ratios.map((r) => [
      String(r.concurrency),
      `${fixed(r.throughput, 2)}×`,
      signed(r.addedP50Ms, 2),
      signed(r.addedP99Ms, 2),
      r.cpu === null ? "–" : `${fixed(r.cpu, 2)}×`,
      `${r.meetsThroughputGoal ? "yes" : "no"} / ${r.meetsLatencyGoal ? "yes" : "no"}`,
    ]),
  };
}

export function countsTable(results: BenchResults): Table {
  const row = (path: string, c: BenchResults["counts"]["warm"], contract: string) => [
    path,
    fixed(c.d1QueriesPerRequest, 2),
    fixed(c.doCallsPerRequest, 2),
    fixed(c.subrequestsPerRequest, 2),
    fixed(c.upstreamRequestsPerRequest, 2),
    `${c.requests}${c.non2xx ? ` (${c.non2xx} non-2xx)` : ""}`,
    contract,
  ];
  return {
    title: "Work per request, counted",
    headers: ["path", "D1 queries", "DO calls", "fetch subrequests", "upstream saw", "requests", "contract"],
    numeric: [1, 2, 3, 4, 5],
    rows: [
      row("warm (key cached)", results.counts.warm, "0 D1, 1 DO, 1 upstream"),
      row("cold (new key)", results.counts.cold, "1 D1, 1 DO, 1 upstream"),
    ],
  };
}

export function limiterTable(results: BenchResults): Table {
  const { inWorker, overHttp, inWorkerOnDisk } = results.limiter;
  const storage = results.settings.storage;
  const rows = inWorker.map((r) => [
    `check() loops in one worker request, state on ${storage}`,
    String(r.callers),
    whole(r.decisionsPerSecond),
    "–",
  ]);
  rows.push([
    `HTTP clients, one decision per request, no upstream, state on ${storage}`,
    String(overHttp.concurrency),
    whole(overHttp.rps),
    fixed(overHttp.p50Ms, 2),
  ]);
  if (inWorkerOnDisk) {
    rows.push([
      "check() loops in one worker request, state on the temp disk",
      String(inWorkerOnDisk.callers),
      whole(inWorkerOnDisk.decisionsPerSecond),
      "–",
    ]);
  }
  return {
    title: "One hot key: the Durable Object's decisions per second",
    headers: ["how", "concurrent callers", "decisions/s", "p50 ms"],
    numeric: [1, 2, 3],
    rows,
  };
}

export function allTables(results: BenchResults): Table[] {
  return [throughputTable(results), ratioTable(results), countsTable(results), limiterTable(results)];
}

/** The few figures the README shows. */
export function headlineTable(results: BenchResults): Table {
  return {
    title: "Headline figures",
    headers: ["figure", "measured", "goal"],
    numeric: [1],
    rows: results.ratios.map((r) => [
      `gateway / bare worker throughput, ${r.concurrency} client${r.concurrency === 1 ? "" : "s"}`,
      `${fixed(r.throughput, 2)}×`,
      `≥ ${GOAL.throughputRatio}×`,
    ]),
  };
}
