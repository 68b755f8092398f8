// The load generator: N closed loops over keep-alive connections, each sending its next request
// as soon as the previous answer's body has been read, for a fixed time after a warm-up.
import { Agent, request } from "node:http";
import { type LatencySummary, summarize } from "./stats.ts";

export interface LoadTarget {
  url: string;
  headers?: Record<string, string>;
}

export interface LoadResult extends LatencySummary {
  concurrency: number;
  requests: number;
  errors: number;
  elapsedMs: number;
  rps: number;
}

interface Phase {
  latenciesMs: number[];
  requests: number;
  errors: number;
}

/** One GET whose body is read to the end; resolves with the status. */
function get(agent: Agent, url: URL, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ agent, host: url.hostname, port: url.port, path: url.pathname + url.search, headers }, (res) => {
      res.on("error", reject);
      res.on("end", () => resolve(res.statusCode ?? 0));
      res.resume();
    });
    req.on("error", reject);
    req.end();
  });
}

async function loop(agent: Agent, url: URL, headers: Record<string, string>, deadline: number, phase: Phase): Promise<void> {
  while (performance.now() < deadline) {
    const started = performance.now();
    let ok = false;
    try {
      const status = await get(agent, url, headers);
      ok = status >= 200 && status < 300;
    } catch {
      ok = false;
    }
    phase.requests++;
    if (ok) phase.latenciesMs.push(performance.now() - started);
    else phase.errors++;
  }
}

async function runPhase(agent: Agent, target: LoadTarget, concurrency: number, durationMs: number): Promise<Phase & { elapsedMs: number }> {
  const url = new URL(target.url);
  const phase: Phase = { latenciesMs: [], requests: 0, errors: 0 };
  const started = performance.now();
  const deadline = started + durationMs;
  await Promise.all(Array.from({ length: concurrency }, () => loop(agent, url, target.headers ?? {}, deadline, phase)));
  return { ...phase, elapsedMs: performance.now() - started };
}

/** Told when the measured phase starts and ends (e.g. to read CPU counters). */
export interface PhaseObserver {
  begin(): void;
  end(): void;
}

/** Warm-up (connections opened, caches filled, JIT warm), then the measured phase on the same connections. */
export async function runLoad(
  target: LoadTarget,
  concurrency: number,
  durationMs: number,
  warmupMs: number,
  observer?: PhaseObserver,
): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency, maxFreeSockets: concurrency });
  try {
    if (warmupMs > 0) await runPhase(agent, target, concurrency, warmupMs);
    observer?.begin();
    const measured = await runPhase(agent, target, concurrency, durationMs);
    observer?.end();
    return {
      concurrency,
      requests: measured.requests,
      errors: measured.errors,
      elapsedMs: measured.elapsedMs,
      rps: (measured.requests - measured.errors) / (measured.elapsedMs / 1000),
      ...summarize(measured.latenciesMs),
    };
  } finally {
    agent.destroy();
  }
}
