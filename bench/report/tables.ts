// Each section of the report as a plain table, rendered to the terminal or to markdown.
import type { PerRequestCounts } from "../counts.ts";
import { type BenchResults, type GatewayTarget, GOAL, type RemoteObjectRow, TARGET_LABELS } from "../results.ts";

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

const goalCell = (met: boolean | null) => (met === null ? "–" : met ? "yes" : "no");

export function ratioTable(results: BenchResults): Table {
  return {
    title:
      `Gateway against the bare worker (goals: ≥ ${GOAL.throughputRatio}× throughput at ${GOAL.throughputAt.join(" and ")} clients, ` +
      `≤ ${GOAL.addedP50Ms} ms added p50 with ${GOAL.latencyAt.join(", ")} client)`,
    headers: [
      "concurrency",
      "gateway",
      "req/s vs (b)",
      "added p50 ms",
      "added p99 ms",
      "CPU/req vs (b)",
      "throughput goal",
      "latency goal",
    ],
    numeric: [0, 2, 3, 4, 5],
    rows: results.ratios.map((r) => [
      String(r.concurrency),
      TARGET_LABELS[r.target],
      `${fixed(r.throughput, 2)}×`,
      signed(r.addedP50Ms, 2),
      signed(r.addedP99Ms, 2),
      r.cpu === null ? "–" : `${fixed(r.cpu, 2)}×`,
      goalCell(r.meetsThroughputGoal),
      goalCell(r.meetsLatencyGoal),
    ]),
  };
}

/** At least this share of requests made no DO call: each request makes zero or more. */
export const withoutDoCall = (c: PerRequestCounts) => Math.max(0, 1 - c.doCallsPerRequest);

export function countsTable(results: BenchResults): Table {
  const { warm, cold, busy } = results.counts;
  const row = (path: string, leaseTtl: string, c: PerRequestCounts, expected: string) => [
    path,
    leaseTtl,
    fixed(c.d1QueriesPerRequest, 2),
    fixed(c.doCallsPerRequest, 3),
    `≥ ${fixed(100 * withoutDoCall(c), 1)}%`,
    fixed(c.subrequestsPerRequest, 2),
    fixed(c.upstreamRequestsPerRequest, 2),
    `${c.requests}${c.non2xx ? ` (${c.non2xx} non-2xx)` : ""}`,
    expected,
  ];
  const busyPath = `busy key, ${results.settings.busyClients} clients`;
  return {
    title: "Work per request, counted",
    headers: [
      "path",
      "LEASE_TTL_MS",
      "D1 queries",
      "DO calls",
      "requests with no DO call",
      "fetch subrequests",
      "upstream saw",
      "requests",
      "expected",
    ],
    numeric: [2, 3, 4, 5, 6, 7],
    rows: [
      row("warm (key cached), one client", "default", warm, "0 D1, ≤ 1 DO, 1 upstream"),
      row("cold (new key)", "default", cold, "0 D1, 1 DO (its body names it), 1 upstream"),
      row(busyPath, "default", busy.gateway, "0 D1, ≥ 95% with no DO call, 1 upstream"),
      row(busyPath, "0", busy.gatewayUnleased, "0 D1, 1 DO, 1 upstream"),
    ],
  };
}

export function remoteObjectTable(results: BenchResults): Table {
  const { delayMs, rows } = results.remoteObject;
  const bareP50 = (concurrency: number) => rows.find((r) => r.target === "bare" && r.concurrency === concurrency)?.p50Ms ?? NaN;
  return {
    title: `Remote object: every Durable Object call delayed by ${delayMs} ms (goal for the leased busy key: ≤ 1 ms added p50)`,
    headers: ["concurrency", "target", "req/s", "p50 ms", "p99 ms", "added p50 ms", "errors"],
    numeric: [0, 2, 3, 4, 5, 6],
    rows: rows.map((r) => [
      String(r.concurrency),
      TARGET_LABELS[r.target],
      whole(r.rps),
      fixed(r.p50Ms, 2),
      fixed(r.p99Ms, 2),
      r.target === "bare" ? "–" : signed(r.p50Ms - bareP50(r.concurrency), 2),
      String(r.errors),
    ]),
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
  return [throughputTable(results), ratioTable(results), countsTable(results), remoteObjectTable(results), limiterTable(results)];
}

/** The few figures the README shows, each against its goal. */
export function headlineTable(results: BenchResults): Table {
  const ratio = (target: GatewayTarget, concurrency: number) =>
    results.ratios.find((r) => r.target === target && r.concurrency === concurrency);
  const remote = (target: GatewayTarget) => {
    const { rows } = results.remoteObject;
    const at = (name: RemoteObjectRow["target"]) => rows.find((r) => r.target === name && r.concurrency === 1)?.p50Ms ?? NaN;
    return at(target) - at("bare");
  };
  const rows: string[][] = [];
  for (const concurrency of GOAL.throughputAt) {
    const leased = ratio("gateway", concurrency);
    const unleased = ratio("gatewayUnleased", concurrency);
    if (leased && unleased) {
      rows.push([
        `throughput vs a bare worker, ${concurrency} clients`,
        `${fixed(leased.throughput, 2)}×`,
        `${fixed(unleased.throughput, 2)}×`,
        `≥ ${GOAL.throughputRatio}×`,
      ]);
    }
  }
  const single = { leased: ratio("gateway", 1), unleased: ratio("gatewayUnleased", 1) };
  if (single.leased && single.unleased) {
    rows.push([
      "added p50, 1 client",
      `${fixed(single.leased.addedP50Ms, 2)} ms`,
      `${fixed(single.unleased.addedP50Ms, 2)} ms`,
      `≤ ${GOAL.addedP50Ms} ms`,
    ]);
  }
  const { busy } = results.counts;
  rows.push([
    `requests with no DO call, busy key (${results.settings.busyClients} clients)`,
    `≥ ${fixed(100 * withoutDoCall(busy.gateway), 1)}%`,
    `≥ ${fixed(100 * withoutDoCall(busy.gatewayUnleased), 1)}%`,
    "≥ 95%",
  ]);
  rows.push([
    `added p50, every DO call +${results.remoteObject.delayMs} ms, 1 client`,
    `${fixed(remote("gateway"), 2)} ms`,
    `${fixed(remote("gatewayUnleased"), 2)} ms`,
    `≤ 1 ms leased`,
  ]);
  return {
    title: "Headline figures",
    headers: ["figure", "leased (LEASE_TTL_MS default)", "LEASE_TTL_MS=0", "goal"],
    numeric: [1, 2],
    rows,
  };
}
