// The key Durable Object's decisions per second for one hot key with a huge limit, on the
// counting build's `/__bench/*` endpoints (they call the DO with the raw binding).
import { type LoadResult, runLoad } from "./load.ts";

export interface InWorkerLimiterResult {
  callers: number;
  decisions: number;
  elapsedMs: number;
  decisionsPerSecond: number;
}

/** `callers` concurrent check() loops inside one worker request: the object's own ceiling. */
export async function limiterInWorker(gatewayUrl: string, callers: number, durationMs: number): Promise<InWorkerLimiterResult> {
  const name = `key:bench-hot-${callers}`;
  const response = await fetch(`${gatewayUrl}/__bench/limiter?callers=${callers}&ms=${durationMs}&name=${encodeURIComponent(name)}`);
  if (!response.ok) throw new Error(`/__bench/limiter: ${response.status} ${await response.text()}`);
  return (await response.json()) as InWorkerLimiterResult;
}

/** Many HTTP clients, one decision each per request, no upstream: the hot key as clients see it. */
export function limiterOverHttp(gatewayUrl: string, clients: number, durationMs: number, warmupMs: number): Promise<LoadResult> {
  return runLoad({ url: `${gatewayUrl}/__bench/decide` }, clients, durationMs, warmupMs);
}
