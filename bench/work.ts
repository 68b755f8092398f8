// On the counting build: work per request (warm, cold, a busy key with and without leases), the hot
// key's decisions per second, and the "remote object" latency with every DO call delayed.
import { startBareWorker } from "./bare-worker.ts";
import { countBusyKey, countColdPath, countWarmPath, type PerRequestCounts, setDoCallDelay } from "./counts.ts";
import { BENCH_PATH, createBenchKey, LEASE_SETTINGS, startBenchGateway } from "./gateway.ts";
import { limiterInWorker, limiterOverHttp } from "./limiter.ts";
import { runLoad } from "./load.ts";
import { progress } from "./log.ts";
import type { BenchOptions } from "./options.ts";
import type { GatewayTarget, LimiterResults, RemoteObjectResults, RemoteObjectRow } from "./results.ts";
import { type StorageDir, storageDir, withTmpdir } from "./storage.ts";
import type { UpstreamProcess } from "./upstream.ts";

const WARM_REQUESTS = 200;
const COLD_KEYS = 20;
const LIMITER_CALLERS = [1, 16, 64];
const HTTP_CLIENTS = 64;
export const BUSY_CLIENTS = 32;
const REMOTE_DELAY_MS = 50;
const REMOTE_CLIENTS = [1, 8];

export interface WorkResults {
  counts: { warm: PerRequestCounts; cold: PerRequestCounts; busy: Record<GatewayTarget, PerRequestCounts> };
  limiter: LimiterResults;
  remoteObject: RemoteObjectResults;
}

export async function measureWork(
  upstream: UpstreamProcess,
  countingScript: string,
  storage: StorageDir,
  options: BenchOptions,
): Promise<WorkResults> {
  const start = (vars: Record<string, string>) => withTmpdir(storage, () => startBenchGateway(upstream.url, countingScript, vars));
  const gateway = await start(LEASE_SETTINGS.leased);
  const unleased = await start(LEASE_SETTINGS.unleased);
  try {
    const warm = await countWarmPath(gateway.url, upstream, WARM_REQUESTS);
    const cold = await countColdPath(gateway.url, upstream, COLD_KEYS);
    progress(`counted: warm ${warm.d1QueriesPerRequest} D1 / ${warm.doCallsPerRequest} DO / ${warm.upstreamRequestsPerRequest} upstream`);
    const busy = {
      gateway: await countBusyKey(gateway.url, upstream, BUSY_CLIENTS, options.durationMs, options.warmupMs),
      gatewayUnleased: await countBusyKey(unleased.url, upstream, BUSY_CLIENTS, options.durationMs, options.warmupMs),
    };
    progress(
      `busy key, ${BUSY_CLIENTS} clients: ${busy.gateway.doCallsPerRequest.toFixed(3)} DO calls/request (LEASE_TTL_MS=0: ${busy.gatewayUnleased.doCallsPerRequest.toFixed(3)})`,
    );
    const remoteObject = await measureRemoteObject(upstream, { gateway: gateway.url, gatewayUnleased: unleased.url }, storage, options);
    const inWorker = [];
    for (const callers of LIMITER_CALLERS) inWorker.push(await limiterInWorker(gateway.url, callers, options.limiterMs));
    const overHttp = await limiterOverHttp(gateway.url, HTTP_CLIENTS, options.limiterMs, options.warmupMs);
    progress(
      `hot key: ${inWorker.map((r) => `${Math.round(r.decisionsPerSecond)}/s @${r.callers}`).join(", ")}; over HTTP ${Math.round(overHttp.rps)}/s`,
    );
    const limiter: LimiterResults = { inWorker, overHttp };
    if (options.limiterOnDisk) limiter.inWorkerOnDisk = await limiterOnDisk(upstream, countingScript, options);
    return { counts: { warm, cold, busy }, limiter, remoteObject };
  } finally {
    await unleased.dispose();
    await gateway.dispose();
  }
}

/** Every DO call delayed by REMOTE_DELAY_MS, a bare worker beside: what a far-away key object adds. */
async function measureRemoteObject(
  upstream: UpstreamProcess,
  gatewayUrls: Record<GatewayTarget, string>,
  storage: StorageDir,
  options: BenchOptions,
): Promise<RemoteObjectResults> {
  const bare = await withTmpdir(storage, () => startBareWorker(upstream.url));
  const urls = Object.values(gatewayUrls);
  try {
    const targets = [
      { name: "bare" as const, url: bare.url + BENCH_PATH },
      ...(await Promise.all(
        (Object.entries(gatewayUrls) as [GatewayTarget, string][]).map(async ([name, url]) => ({
          name,
          url: url + BENCH_PATH,
          headers: { authorization: `Bearer ${await createBenchKey(url, "bench-remote")}` },
        })),
      )),
    ];
    for (const url of urls) await setDoCallDelay(url, REMOTE_DELAY_MS);
    const rows: RemoteObjectRow[] = [];
    for (const concurrency of REMOTE_CLIENTS) {
      for (const target of targets) {
        const load = await runLoad(target, concurrency, options.durationMs, options.warmupMs);
        rows.push({ target: target.name, concurrency, rps: load.rps, p50Ms: load.p50Ms, p99Ms: load.p99Ms, errors: load.errors });
        progress(`remote object (${REMOTE_DELAY_MS} ms), ${target.name} c=${concurrency}: p50 ${load.p50Ms.toFixed(2)} ms`);
      }
    }
    return { delayMs: REMOTE_DELAY_MS, rows };
  } finally {
    for (const url of urls) await setDoCallDelay(url, 0);
    await bare.dispose();
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
