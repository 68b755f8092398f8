// The shape of bench/results/latest.json, and the figures derived from the raw runs.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../scripts/build.ts";
import type { PerRequestCounts } from "./counts.ts";
import type { CpuUse } from "./cpu-meter.ts";
import type { InWorkerLimiterResult } from "./limiter.ts";
import type { LoadResult } from "./load.ts";
import type { Machine, Runtimes } from "./machine.ts";
import type { StorageKind } from "./storage.ts";

export const RESULTS_DIR = join(ROOT, "bench/results");
export const LATEST_JSON = join(RESULTS_DIR, "latest.json");
export const LIMITER_ACCURACY_JSON = join(RESULTS_DIR, "limiter-accuracy.json");
export const HOT_KEY_JSON = join(RESULTS_DIR, "hot-key.json");
/** `npm run bench:edge`: the figures, and how the run that made them was set. */
export const EDGE_JSON = join(RESULTS_DIR, "edge.json");
export const EDGE_RUN_JSON = join(RESULTS_DIR, "edge-run.json");

export type GatewayTarget = "gateway" | "gatewayUnleased";
/** The gateway as (c), with miniflare's [assets] router worker in front: measured, never held to the goals. */
type GatewayWithAssets = "gatewayWithAssets";
export type TargetName = "direct" | "bare" | GatewayTarget | GatewayWithAssets;

export const TARGET_LABELS: Record<TargetName, string> = {
  direct: "(a) direct",
  bare: "(b) bare worker",
  gateway: "(c) gateway",
  gatewayUnleased: "(d) gateway, LEASE_TTL_MS=0",
  gatewayWithAssets: "(e) gateway + [assets] router",
};

/** The gateway rows compared with (b); the goals hold only for those that compare like with like. */
const RATIO_TARGETS: (GatewayTarget | GatewayWithAssets)[] = ["gateway", "gatewayUnleased", "gatewayWithAssets"];
const judged = (target: TargetName) => target !== "gatewayWithAssets";

export interface ThroughputRow extends LoadResult {
  target: TargetName;
  cpu: CpuUse;
  /** workerd CPU per request, µs (null for the direct call). */
  workerdCpuUsPerRequest: number | null;
}

export interface Ratio {
  concurrency: number;
  target: GatewayTarget | GatewayWithAssets;
  /** gateway/(b) requests per second. */
  throughput: number;
  addedP50Ms: number;
  addedP99Ms: number;
  /** gateway/(b) workerd CPU per request. */
  cpu: number | null;
  /** null where the goal does not apply at this concurrency. */
  meetsThroughputGoal: boolean | null;
  meetsLatencyGoal: boolean | null;
}

/** The targets of docs/performance.md: throughput at busy concurrencies, latency with one client. */
export const GOAL = { throughputRatio: 0.85, throughputAt: [8, 32], addedP50Ms: 0.5, latencyAt: [1] };

export interface LimiterResults {
  inWorker: InWorkerLimiterResult[];
  overHttp: LoadResult;
  /** The same in-worker run with DO state on the temp disk, when measured. */
  inWorkerOnDisk?: InWorkerLimiterResult;
}

export interface RemoteObjectRow {
  target: "bare" | GatewayTarget;
  concurrency: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

export interface RemoteObjectResults {
  /** Added before every Durable Object call by the counting build. */
  delayMs: number;
  rows: RemoteObjectRow[];
}

/** The shape of latest.json; older files are not rendered. */
export const SCHEMA = 3;

export interface BenchResults {
  schema: typeof SCHEMA;
  generatedAt: string;
  command: string;
  settings: { durationMs: number; warmupMs: number; concurrencies: number[]; busyClients: number; storage: StorageKind };
  machine: Machine;
  /** 1-minute load average before and after the run: other work on the machine skews every figure. */
  loadAverage: { start: number; end: number };
  runtimes: Runtimes;
  throughput: ThroughputRow[];
  ratios: Ratio[];
  goal: typeof GOAL;
  counts: { warm: PerRequestCounts; cold: PerRequestCounts; busy: Record<GatewayTarget, PerRequestCounts> };
  limiter: LimiterResults;
  remoteObject: RemoteObjectResults;
  durationS: number;
}

export function throughputRow(target: TargetName, load: LoadResult, cpu: CpuUse): ThroughputRow {
  const served = load.requests - load.errors;
  return {
    target,
    ...load,
    cpu,
    workerdCpuUsPerRequest: cpu.workerdMs === null || served === 0 ? null : (cpu.workerdMs * 1000) / served,
  };
}

export function ratios(rows: ThroughputRow[]): Ratio[] {
  const concurrencies = [...new Set(rows.map((r) => r.concurrency))];
  return concurrencies.flatMap((concurrency) => {
    const bare = rows.find((r) => r.target === "bare" && r.concurrency === concurrency);
    return RATIO_TARGETS.flatMap((target) => {
      const gateway = rows.find((r) => r.target === target && r.concurrency === concurrency);
      if (!bare || !gateway) return [];
      const throughput = gateway.rps / bare.rps;
      const addedP50Ms = gateway.p50Ms - bare.p50Ms;
      return [
        {
          concurrency,
          target,
          throughput,
          addedP50Ms,
          addedP99Ms: gateway.p99Ms - bare.p99Ms,
          cpu:
            gateway.workerdCpuUsPerRequest !== null && bare.workerdCpuUsPerRequest
              ? gateway.workerdCpuUsPerRequest / bare.workerdCpuUsPerRequest
              : null,
          meetsThroughputGoal: judged(target) && GOAL.throughputAt.includes(concurrency) ? throughput >= GOAL.throughputRatio : null,
          meetsLatencyGoal: judged(target) && GOAL.latencyAt.includes(concurrency) ? addedP50Ms <= GOAL.addedP50Ms : null,
        },
      ];
    });
  });
}

/** latest.json, unless missing or of an older shape (then rerun `npm run bench`). */
export function readLatest(): BenchResults | undefined {
  if (!existsSync(LATEST_JSON)) return undefined;
  const results = JSON.parse(readFileSync(LATEST_JSON, "utf8")) as BenchResults;
  return results.schema === SCHEMA ? results : undefined;
}

export function writeResultFile(name: string, contents: string): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const path = join(RESULTS_DIR, name);
  writeFileSync(path, contents);
  return path;
}
