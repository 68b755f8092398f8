// D1 queries, DO calls and subrequests per request, counted on the counting build
// (bench/worker/counting-entry.ts) and, for upstream requests, at the upstream itself.
import { BENCH_PATH, createBenchKey } from "./gateway.ts";
import { runLoad } from "./load.ts";
import type { UpstreamProcess } from "./upstream.ts";

export interface PerRequestCounts {
  requests: number;
  non2xx: number;
  d1QueriesPerRequest: number;
  doCallsPerRequest: number;
  /** fetch() calls made by the gateway's isolate. */
  subrequestsPerRequest: number;
  /** Requests the upstream saw, counted there. */
  upstreamRequestsPerRequest: number;
}

interface WorkerCounts {
  requests: number;
  d1Queries: number;
  doCalls: number;
  fetches: number;
}

async function benchCall<T>(gatewayUrl: string, path: string): Promise<T> {
  const response = await fetch(`${gatewayUrl}/__bench/${path}`);
  if (!response.ok) throw new Error(`/__bench/${path}: ${response.status}`);
  return (await response.json()) as T;
}

/** Sets the delay the counting build adds before every DO call (0: none). */
export async function setDoCallDelay(gatewayUrl: string, ms: number): Promise<void> {
  await benchCall(gatewayUrl, `do-delay?ms=${ms}`);
}

interface Sent {
  requests: number;
  non2xx: number;
}

const sentStatuses = (statuses: number[]): Sent => ({
  requests: statuses.length,
  non2xx: statuses.filter((s) => s < 200 || s > 299).length,
});

/** Background work (a lease renewal in waitUntil) may still be calling the object when the last answer arrives. */
const SETTLE_MS = 100;

/** Runs `send` with all counters at zero and divides what was counted by the requests sent. */
async function countDuring(gatewayUrl: string, upstream: UpstreamProcess, send: () => Promise<Sent>): Promise<PerRequestCounts> {
  await benchCall(gatewayUrl, "reset");
  await upstream.reset();
  const sent = await send();
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  const counted = await benchCall<WorkerCounts>(gatewayUrl, "counts");
  const received = await upstream.received();
  const n = sent.requests;
  if (counted.requests !== n) throw new Error(`counting build saw ${counted.requests} requests, ${n} were sent`);
  return {
    requests: n,
    non2xx: sent.non2xx,
    d1QueriesPerRequest: counted.d1Queries / n,
    doCallsPerRequest: counted.doCalls / n,
    subrequestsPerRequest: counted.fetches / n,
    upstreamRequestsPerRequest: received / n,
  };
}

async function callWithKey(gatewayUrl: string, key: string): Promise<number> {
  const response = await fetch(gatewayUrl + BENCH_PATH, { headers: { authorization: `Bearer ${key}` } });
  await response.arrayBuffer();
  return response.status;
}

/** Warm: one key already seen by the isolate, `requests` calls one after another. */
export async function countWarmPath(gatewayUrl: string, upstream: UpstreamProcess, requests: number): Promise<PerRequestCounts> {
  const key = await createBenchKey(gatewayUrl, "bench-warm");
  await callWithKey(gatewayUrl, key); // the cold call that fills the isolate's key cache
  return countDuring(gatewayUrl, upstream, async () => {
    const statuses: number[] = [];
    for (let i = 0; i < requests; i++) statuses.push(await callWithKey(gatewayUrl, key));
    return sentStatuses(statuses);
  });
}

/** Cold: each request carries a key this isolate has never seen (keys created beforehand). */
export async function countColdPath(gatewayUrl: string, upstream: UpstreamProcess, keys: number): Promise<PerRequestCounts> {
  const fresh: string[] = [];
  for (let i = 0; i < keys; i++) fresh.push(await createBenchKey(gatewayUrl, `bench-cold-${i}`));
  return countDuring(gatewayUrl, upstream, async () => {
    const statuses: number[] = [];
    for (const key of fresh) statuses.push(await callWithKey(gatewayUrl, key));
    return sentStatuses(statuses);
  });
}

/**
 * Busy: `clients` closed loops on one key for `durationMs`, counted after a warm-up. A request makes
 * at least 0 DO calls, so at least 1 − (DO calls / requests) of them made none.
 */
export async function countBusyKey(
  gatewayUrl: string,
  upstream: UpstreamProcess,
  clients: number,
  durationMs: number,
  warmupMs: number,
): Promise<PerRequestCounts> {
  const target = { url: gatewayUrl + BENCH_PATH, headers: { authorization: `Bearer ${await createBenchKey(gatewayUrl, "bench-busy")}` } };
  await runLoad(target, clients, warmupMs, 0);
  return countDuring(gatewayUrl, upstream, async () => {
    const load = await runLoad(target, clients, durationMs, 0);
    return { requests: load.requests, non2xx: load.errors };
  });
}
