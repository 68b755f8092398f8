// (a) direct, (b) bare worker, (c) gateway: the same upstream, each concurrency in turn.
import { startBareWorker } from "./bare-worker.ts";
import { cpuMeter } from "./cpu-meter.ts";
import { BENCH_PATH, createBenchKey, startBenchGateway } from "./gateway.ts";
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
  const gateway = await withNewChild("workerd", () => withTmpdir(storage, () => startBenchGateway(upstream.url, gatewayScript)));
  try {
    const key = await createBenchKey(gateway.value.url);
    const targets: Target[] = [
      { name: "direct", url: `${upstream.url}${BENCH_PATH.replace(/^\/bench/, "")}`, workerdPid: undefined },
      { name: "bare", url: bare.value.url + BENCH_PATH, workerdPid: bare.pid },
      { name: "gateway", url: gateway.value.url + BENCH_PATH, headers: { authorization: `Bearer ${key}` }, workerdPid: gateway.pid },
    ];
    const rows: ThroughputRow[] = [];
    // Targets alternate within each concurrency, so a drift in the machine touches all three alike.
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
    await gateway.value.dispose();
    await bare.value.dispose();
  }
}
