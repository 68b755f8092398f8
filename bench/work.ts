// Counted work per request and the hot key's decisions per second, both on the counting build.
import { countColdPath, countWarmPath, type PerRequestCounts } from "./counts.ts";
import { startBenchGateway } from "./gateway.ts";
import { limiterInWorker, limiterOverHttp } from "./limiter.ts";
import { progress } from "./log.ts";
import type { BenchOptions } from "./options.ts";
import type { LimiterResults } from "./results.ts";
import { type StorageDir, storageDir, withTmpdir } from "./storage.ts";
import type { UpstreamProcess } from "./upstream.ts";

const WARM_REQUESTS = 200;
const COLD_KEYS = 20;
const LIMITER_CALLERS = [1, 16, 64];
const HTTP_CLIENTS = 64;

export interface WorkResults {
  counts: { warm: PerRequestCounts; cold: PerRequestCounts };
  limiter: LimiterResults;
}

export async function measureWork(
  upstream: UpstreamProcess,
  countingScript: string,
  storage: StorageDir,
  options: BenchOptions,
): Promise<WorkResults> {
  const gateway = await withTmpdir(storage, () => startBenchGateway(upstream.url, countingScript));
  try {
    const warm = await countWarmPath(gateway.url, upstream, WARM_REQUESTS);
    const cold = await countColdPath(gateway.url, upstream, COLD_KEYS);
    progress(`counted: warm ${warm.d1QueriesPerRequest} D1 / ${warm.doCallsPerRequest} DO / ${warm.upstreamRequestsPerRequest} upstream`);
    const inWorker = [];
    for (const callers of LIMITER_CALLERS) inWorker.push(await limiterInWorker(gateway.url, callers, options.limiterMs));
    const overHttp = await limiterOverHttp(gateway.url, HTTP_CLIENTS, options.limiterMs, options.warmupMs);
    progress(
      `hot key: ${inWorker.map((r) => `${Math.round(r.decisionsPerSecond)}/s @${r.callers}`).join(", ")}; over HTTP ${Math.round(overHttp.rps)}/s`,
    );
    const limiter: LimiterResults = { inWorker, overHttp };
    if (options.limiterOnDisk) limiter.inWorkerOnDisk = await limiterOnDisk(upstream, countingScript, options);
    return { counts: { warm, cold }, limiter };
  } finally {
    await gateway.dispose();
  }
}

/** The same hot-key run with the DO's SQLite on the temp disk, where each commit waits for an fsync. */
async function limiterOnDisk(upstream: UpstreamProcess, countingScript: string, options: BenchOptions) {
  const disk = storageDir("disk");
  const gateway = await withTmpdir(disk, () => startBenchGateway(upstream.url, countingScript));
  try {
    const result = await limiterInWorker(gateway.url, LIMITER_CALLERS.at(-1)!, options.limiterMs);
    progress(`hot key, state on disk: ${Math.round(result.decisionsPerSecond)}/s`);
    return result;
  } finally {
    await gateway.dispose();
    disk.remove();
  }
}
