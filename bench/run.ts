// `npm run bench`: what the gateway costs next to a bare pass-through worker and a direct call,
// all on workerd through miniflare in one run. See bench/report/markdown.ts for what each figure means.
import { loadavg } from "node:os";
import { buildWorker } from "../scripts/build.ts";
import { buildCountingWorker } from "./gateway.ts";
import { progress } from "./log.ts";
import { machine, runtimes } from "./machine.ts";
import { type BenchOptions, parseOptions } from "./options.ts";
import { markdownReport } from "./report/markdown.ts";
import { updatePerformanceDoc } from "./report/performance-doc.ts";
import { updateReadme } from "./report/readme.ts";
import { throughputSvg } from "./report/svg.ts";
import { terminalReport } from "./report/terminal.ts";
import { type BenchResults, GOAL, LATEST_JSON, ratios, SCHEMA, writeResultFile } from "./results.ts";
import { storageDir } from "./storage.ts";
import { measureThroughput } from "./throughput.ts";
import { startUpstreamProcess } from "./upstream.ts";
import { BUSY_CLIENTS, measureWork } from "./work.ts";

function commandLine(args: string[]): string {
  return args.length > 0 ? `npm run bench -- ${args.join(" ")}` : "npm run bench";
}

async function measure(options: BenchOptions, args: string[]): Promise<BenchResults> {
  const started = performance.now();
  const loadAtStart = loadavg()[0]!;
  progress("building the gateway and its counting variant (wrangler deploy --dry-run)");
  const gatewayScript = buildWorker();
  const countingScript = buildCountingWorker();
  const storage = storageDir(options.storage);
  const upstream = await startUpstreamProcess();
  try {
    const throughput = await measureThroughput(upstream, gatewayScript, storage, options);
    const work = await measureWork(upstream, countingScript, storage, options);
    return {
      schema: SCHEMA,
      generatedAt: new Date().toISOString(),
      command: commandLine(args),
      settings: {
        durationMs: options.durationMs,
        warmupMs: options.warmupMs,
        concurrencies: options.concurrencies,
        busyClients: BUSY_CLIENTS,
        storage: storage.kind,
      },
      machine: machine(),
      loadAverage: { start: loadAtStart, end: loadavg()[0]! },
      runtimes: runtimes(),
      throughput,
      ratios: ratios(throughput),
      goal: GOAL,
      ...work,
      durationS: (performance.now() - started) / 1000,
    };
  } finally {
    await upstream.close();
    storage.remove();
  }
}

function writeOutputs(results: BenchResults): void {
  writeResultFile("latest.json", `${JSON.stringify(results, null, 2)}\n`);
  writeResultFile("latest.md", `# Gateway benchmark\n\n${markdownReport(results, "throughput.svg")}\n`);
  writeResultFile("throughput.svg", throughputSvg(results));
  updatePerformanceDoc();
  const readme = updateReadme(results);
  progress(`wrote ${LATEST_JSON}, latest.md, throughput.svg, docs/performance.md${readme ? " and README.md's headline figures" : ""}`);
}

const args = process.argv.slice(2);
const options = parseOptions(args, process.env);
const results = await measure(options, args);
console.log(terminalReport(results));
if (options.write) writeOutputs(results);
