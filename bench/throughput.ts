// (a) direct, (b) bare worker, (c) gateway, (d) gateway with LEASE_TTL_MS=0, (e) the gateway with
// miniflare's [assets] router in front: the same upstream, each concurrency in turn.
import { startBareWorker } from "./bare-worker.ts";
import { cpuMeter } from "./cpu-meter.ts";
import { BENCH_PATH, createBenchKey, LEASE_SETTINGS, startBenchGateway } from "./gateway.ts";
import { type LoadTarget, runLoad } from "./load.ts";
import { progress } from "./log.ts";
import type { BenchOptions } from "./options.ts";
import { withNewChild } from "./proc-cpu.ts";
import { type TargetName, type ThroughputRow, throughputRow } from "./results.ts";
import { type StorageDir, withTmpdir } from "./storage.ts";
import type { UpstreamProcess } from "./upstream.ts";

interface Target extends LoadTarget {
  name: TargetName;
  workerdPid: number | undefined;
}

export async function measureThroughput(
  upstream: UpstreamProcess,
  gatewayScript: string,
  storage: StorageDir,
  options: BenchOptions,
): Promise<ThroughputRow[]> {
  // Each in its own workerd process, so /proc tells their CPU apart.
  const bare = await withNewChild("workerd", () => withTmpdir(storage, () => startBareWorker(upstream.url)));
  const startGateway = (vars: Record<string, string>, assets = false) =>
    withNewChild("workerd", () => withTmpdir(storage, () => startBenchGateway(upstream.url, gatewayScript, vars, { assets })));
  const gateway = await startGateway(LEASE_SETTINGS.leased);
  const unleased = await startGateway(LEASE_SETTINGS.unleased);
  const withAssets = await startGateway(LEASE_SETTINGS.leased, true);
  try {
    const gatewayTarget = async (name: Target["name"], { value, pid }: typeof gateway): Promise<Target> => ({
      name,
      url: value.url + BENCH_PATH,
      headers: { authorization: `Bearer ${await createBenchKey(value.url)}` },
      workerdPid: pid,
    });
    const targets: Target[] = [
      { name: "direct", url: `${upstream.url}${BENCH_PATH.replace(/^\/bench/, "")}`, workerdPid: undefined },
      { name: "bare", url: bare.value.url + BENCH_PATH, workerdPid: bare.pid },
      await gatewayTarget("gateway", gateway),
      await gatewayTarget("gatewayUnleased", unleased),
      await gatewayTarget("gatewayWithAssets", withAssets),
    ];
    const rows: ThroughputRow[] = [];
    // Targets alternate within each concurrency, so a drift in the machine touches all of them alike.
    for (const concurrency of options.concurrencies) {
      for (const target of targets) {
        const meter = cpuMeter(target.workerdPid, upstream.pid);
        const load = await runLoad(target, concurrency, options.durationMs, options.warmupMs, meter);
        rows.push(throughputRow(target.name, load, meter.used()));
        progress(
          `${target.name} c=${concurrency}: ${Math.round(load.rps)} req/s, p50 ${load.p50Ms.toFixed(2)} ms, p99 ${load.p99Ms.toFixed(2)} ms`,
        );
      }
    }
    return rows;
  } finally {
    await withAssets.value.dispose();
    await unleased.value.dispose();
    await gateway.value.dispose();
    await bare.value.dispose();
  }
}
