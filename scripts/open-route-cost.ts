// `npx node scripts/open-route-cost.ts`: the open route (no key, no limits, no Durable Object) next to
// a bare pass-through worker, with and without the local Analytics Engine simulation (`USAGE`).
// Each target runs in its own workerd, so besides throughput it reports workerd CPU per request,
// which a shared, noisy machine disturbs less. Targets alternate within each round.
// `--baseline <bundle>` adds the open route of another build (e.g. the main branch's) to compare.
//   npx node scripts/open-route-cost.ts [--duration S] [--concurrency 8,32] [--rounds N] [--baseline path/to/index.js]
import { parseArgs } from "node:util";
import { startBareWorker } from "../bench/bare-worker.ts";
import { cpuMeter } from "../bench/cpu-meter.ts";
import { runLoad } from "../bench/load.ts";
import { withNewChild } from "../bench/proc-cpu.ts";
import { storageDir, withTmpdir } from "../bench/storage.ts";
import { startUpstreamProcess } from "../bench/upstream.ts";
import { startLocalGateway } from "../dev/local-gateway.ts";
import { buildWorker } from "./build.ts";

const { values } = parseArgs({
  options: {
    duration: { type: "string", default: "3" },
    concurrency: { type: "string", default: "8,32" },
    rounds: { type: "string", default: "2" },
    baseline: { type: "string" },
  },
});
const durationMs = Number(values.duration) * 1000;
const concurrencies = values.concurrency.split(",").map(Number);
const rounds = Number(values.rounds);

const script = buildWorker();
const storage = storageDir("tmpfs");
const upstream = await startUpstreamProcess();
const openRoute = (usage: boolean, scriptPath = script) =>
  withNewChild("workerd", () =>
    withTmpdir(storage, () =>
      startLocalGateway({
        scriptPath,
        usage,
        bindings: { GATEWAY_ROUTES: JSON.stringify([{ path: "/bench/*", upstream: upstream.url, stripPrefix: true, auth: "none" }]) },
      }),
    ),
  );
const bare = await withNewChild("workerd", () => withTmpdir(storage, () => startBareWorker(upstream.url)));
const withUsage = await openRoute(true);
const withoutUsage = await openRoute(false);
const baseline = values.baseline ? await openRoute(true, values.baseline) : undefined;
const targets = [
  { name: "bare", url: `${bare.value.url}/bench/hello`, pid: bare.pid },
  { name: "open route", url: `${withUsage.value.url}/bench/hello`, pid: withUsage.pid },
  { name: "open route, no USAGE", url: `${withoutUsage.value.url}/bench/hello`, pid: withoutUsage.pid },
  ...(baseline ? [{ name: "open route, baseline", url: `${baseline.value.url}/bench/hello`, pid: baseline.pid }] : []),
];
try {
  for (const concurrency of concurrencies) {
    const totals = new Map(targets.map((t) => [t.name, { rps: 0, cpuUs: 0 }]));
    for (let round = 0; round < rounds; round++) {
      for (const target of targets) {
        const meter = cpuMeter(target.pid, upstream.pid);
        const load = await runLoad({ url: target.url }, concurrency, durationMs, 500, meter);
        if (load.errors > 0) throw new Error(`${target.name}: ${load.errors} failed requests`);
        const total = totals.get(target.name)!;
        total.rps += load.rps / rounds;
        total.cpuUs += ((meter.used().workerdMs ?? 0) * 1000) / load.requests / rounds;
      }
    }
    const base = totals.get("bare")!;
    for (const [name, { rps, cpuUs }] of totals) {
      console.log(
        `c=${concurrency} ${name.padEnd(22)} ${Math.round(rps).toString().padStart(6)} req/s (${(rps / base.rps).toFixed(2)}× bare)  workerd ${Math.round(cpuUs)} µs CPU/req (${(cpuUs / base.cpuUs).toFixed(2)}× bare)`,
      );
    }
  }
} finally {
  await baseline?.value.dispose();
  await withoutUsage.value.dispose();
  await withUsage.value.dispose();
  await bare.value.dispose();
  await upstream.close();
  storage.remove();
}
