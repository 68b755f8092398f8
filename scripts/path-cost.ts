// `npx node scripts/path-cost.ts`: gateway paths next to a bare pass-through worker, as workerd CPU
// per request and throughput, both as ratios to the bare worker. Each gateway variant (bundle,
// assets, usage) runs in its own workerd, so /proc tells their CPU apart (steadier than req/s on a
// shared machine); targets alternate within each round. Target names: scripts/path-targets.ts.
// `--baseline <bundle>` runs every target again on another build (e.g. the main branch's).
//   npx node scripts/path-cost.ts [--targets keyed,keyed-no-assets,open] [--duration S] [--concurrency 8,32] [--rounds N] [--baseline path/to/index.js]
import { parseArgs } from "node:util";
import { startBareWorker } from "../bench/bare-worker.ts";
import { cpuMeter } from "../bench/cpu-meter.ts";
import { type LoadTarget, runLoad } from "../bench/load.ts";
import { withNewChild } from "../bench/proc-cpu.ts";
import { storageDir, withTmpdir } from "../bench/storage.ts";
import { startUpstreamProcess } from "../bench/upstream.ts";
import { buildWorker } from "./build.ts";
import { parsePathTarget, pathRequest, startPathGateway } from "./path-targets.ts";

const { values } = parseArgs({
  options: {
    targets: { type: "string", default: "keyed,keyed-no-assets,keyed-no-limits-no-assets,open-no-assets" },
    duration: { type: "string", default: "3" },
    concurrency: { type: "string", default: "8,32" },
    rounds: { type: "string", default: "2" },
    baseline: { type: "string" },
  },
});
const durationMs = Number(values.duration) * 1000;
const concurrencies = values.concurrency.split(",").map(Number);
const rounds = Number(values.rounds);

interface Target extends LoadTarget {
  name: string;
  pid: number | undefined;
}

const storage = storageDir("tmpfs");
const upstream = await startUpstreamProcess();
const bundles = [{ label: "", path: buildWorker() }, ...(values.baseline ? [{ label: ", baseline", path: values.baseline }] : [])];
const started: { dispose(): Promise<void> }[] = [];
try {
  const bare = await withNewChild("workerd", () => withTmpdir(storage, () => startBareWorker(upstream.url)));
  started.push(bare.value);
  const targets: Target[] = [{ name: "bare", url: `${bare.value.url}/bench/hello`, pid: bare.pid }];
  const gateways = new Map<string, Awaited<ReturnType<typeof startPathGateway>>>();
  for (const bundle of bundles) {
    for (const name of values.targets.split(",")) {
      const target = parsePathTarget(name);
      const variant = `${bundle.path}|${target.assets}|${target.usage}`;
      let gateway = gateways.get(variant);
      if (!gateway) {
        gateway = await startPathGateway(upstream.url, storage, bundle.path, target);
        gateways.set(variant, gateway);
        started.push(gateway.value);
      }
      targets.push({ name: name + bundle.label, pid: gateway.pid, ...(await pathRequest(gateway.value.url, target.kind)) });
    }
  }
  for (const concurrency of concurrencies) {
    const totals = new Map(targets.map((t) => [t.name, { rps: 0, cpuUs: 0 }]));
    for (let round = 0; round < rounds; round++) {
      for (const target of targets) {
        const meter = cpuMeter(target.pid, upstream.pid);
        const load = await runLoad(target, concurrency, durationMs, 500, meter);
        if (load.errors > 0) throw new Error(`${target.name}: ${load.errors} failed requests`);
        const total = totals.get(target.name)!;
        total.rps += load.rps / rounds;
        total.cpuUs += ((meter.used().workerdMs ?? 0) * 1000) / load.requests / rounds;
      }
    }
    const base = totals.get("bare")!;
    for (const [name, { rps, cpuUs }] of totals) {
      console.log(
        `c=${concurrency} ${name.padEnd(36)} ${Math.round(rps).toString().padStart(6)} req/s (${(rps / base.rps).toFixed(2)}× bare)  workerd ${Math.round(cpuUs)} µs CPU/req (${(cpuUs / base.cpuUs).toFixed(2)}× bare)`,
      );
    }
  }
} finally {
  for (const server of started.reverse()) await server.dispose();
  await upstream.close();
  storage.remove();
}
