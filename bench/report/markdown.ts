import type { BenchResults } from "../results.ts";
import { allTables, countsTable, ratioTable, type Table } from "./tables.ts";

export function markdownTable(table: Table): string {
  const align = table.headers.map((_, i) => (table.numeric.includes(i) ? "---:" : "---"));
  const line = (cells: string[]) => `| ${cells.map((c) => c.replaceAll("|", "\\|")).join(" | ")} |`;
  return [`**${table.title}**`, "", line(table.headers), line(align), ...table.rows.map(line)].join("\n");
}

const BUSY_LOAD = 0.5;

function loadNote(results: BenchResults): string[] {
  const { start, end } = results.loadAverage;
  const figures = `1-minute load average ${start.toFixed(2)} before the run, ${end.toFixed(2)} at its end (the bench itself included)`;
  // Only the load before the run is someone else's; at the end it is mostly the bench's own.
  if (start <= BUSY_LOAD) return [`${figures}.`];
  return [
    `**The machine was not idle** (${figures}, on ${results.machine.cores} cores): other processes competed for the CPU, so absolute figures and tails are pessimistic and noisy.`,
  ];
}

/** Where and how the figures were taken: a reader needs this to compare them with their own. */
export function describeRun(results: BenchResults): string {
  const { machine: m, runtimes: r, settings: s } = results;
  return [
    `Measured ${results.generatedAt} on ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB RAM, ${m.os}.`,
    `Runtimes: node ${r.node}, workerd ${r.workerd}, wrangler ${r.wrangler}, miniflare ${r.miniflare}.`,
    `Each figure: ${s.concurrencies.join("/")} closed-loop clients on keep-alive connections, ` +
      `${s.durationMs / 1000} s measured after ${s.warmupMs / 1000} s of warm-up; the load generator, the Node upstream ` +
      `and workerd share the ${m.cores} cores. D1/DO state on ${s.storage}.`,
    ...loadNote(results),
  ].join("\n");
}

export const NOTES = `Notes: (a) calls the Node echo upstream directly; (b) is a worker that only \`fetch\`es the same upstream and returns
the response, run on workerd through miniflare like the gateway (its own workerd process); (c) is the built gateway
(\`wrangler deploy --dry-run\` bundle) with one valid key, warm, and \`LEASE_TTL_MS\` at its default; (d) is the same
bundle with \`LEASE_TTL_MS=0\` (one Durable Object call per request), in its own workerd process. The key's limit is
out of reach, so every request is admitted. workerd CPU is the process's user+system time from /proc over the measured
phase divided by requests served; it includes miniflare's entry worker that both (b) and the gateways go through.

**Static assets:** (c) and (d) run without wrangler.toml's \`[assets]\` (the dashboard's files), like (b). With them,
miniflare puts its asset router worker in front of the gateway (\`run_worker_first\`), in the same workerd process, on
every request: (e) is (c) with it. On Cloudflare that routing happens before the worker runs and is not billed to its
CPU, so the goals are judged on (c) and (d), which compare like with like; (e) shows what the local router adds.

**Analytics Engine:** every gateway figure here ((c), (d), (e), the counts, the remote object) includes miniflare's local
\`USAGE\` Analytics Engine binding, one data point per request; (b) writes none. Locally \`writeDataPoint\` is an empty
method and was not measurable on the open route (docs/performance.md, "The keyed path against a bare
worker"); production hands the point to the runtime, off the request path.

D1/DO/subrequest counts come from a bench-only build of the same gateway whose DB and KEY_LIMITER bindings and global
\`fetch\` are wrapped in counting proxies (bench/worker/), and from the upstream's own request count. The busy key
runs closed-loop clients on one key; a request makes zero or more DO calls (renewals in \`waitUntil\` included), so at
least 1 − DO calls/request of the requests made none. The remote object is the same counting build with every DO call
delayed before it is made (\`/__bench/do-delay\`), beside a bare worker started for it; added p50 is against that bare worker.`;

export function markdownReport(results: BenchResults, chartPath: string): string {
  return [
    describeRun(results).replaceAll("\n", "  \n"),
    `![Throughput and latency per concurrency](${chartPath})`,
    ...allTables(results).map(markdownTable),
    NOTES,
    `Command: \`${results.command}\` (whole run ${Math.round(results.durationS)} s). Rerun with \`npm run bench\`; \`npm run bench -- --quick\` for a ~30 s run.`,
  ].join("\n\n");
}

/**
 * The doc's share of the report: the run, the chart, the goals and the counted work; every table and the
 * notes on what each target is stay in the full report (`bench/results/latest.md`, written by the same run).
 */
export function markdownSummary(results: BenchResults, chartPath: string, fullReportPath: string): string {
  return [
    describeRun(results).replaceAll("\n", "  \n"),
    `![Throughput and latency per concurrency](${chartPath})`,
    ...[ratioTable(results), countsTable(results)].map(markdownTable),
    `Every table (throughput and latency per target, the remote object, the hot key's decisions per second) and what each target is: [bench/results/latest.md](${fullReportPath}).`,
    `Command: \`${results.command}\` (whole run ${Math.round(results.durationS)} s). Rerun with \`npm run bench\`; \`npm run bench -- --quick\` for a ~30 s run.`,
  ].join("\n\n");
}
