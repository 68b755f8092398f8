// The shape of bench/results/latest.json, and the figures derived from the raw runs.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
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

export type TargetName = "direct" | "bare" | "gateway";

export const TARGET_LABELS: Record<TargetName, string> = {
  direct: "(a) direct",
  bare: "(b) bare worker",
  gateway: "(c) gateway",
};

export interface ThroughputRow extends LoadResult {
  target: TargetName;
  cpu: CpuUse;
  /** workerd CPU per request, µs (null for the direct call). */
  workerdCpuUsPerRequest: number | null;
}

export interface Ratio {
  concurrency: number;
  /** (c)/(b) requests per second. */
  throughput: number;
  addedP50Ms: number;
  addedP99Ms: number;
  /** (c)/(b) workerd CPU per request. */
  cpu: number | null;
  meetsThroughputGoal: boolean;
  meetsLatencyGoal: boolean;
}

export const GOAL = { throughputRatio: 0.75, addedP50Ms: 1 };

export interface LimiterResults {
  inWorker: InWorkerLimiterResult[];
  overHttp: LoadResult;
  /** The same in-worker run with DO state on the temp disk, when measured. */
  inWorkerOnDisk?: InWorkerLimiterResult;
}

export interface BenchResults {
  schema: 1;
  generatedAt: string;
  command: string;
  settings: { durationMs: number; warmupMs: number; concurrencies: number[]; storage: StorageKind };
  machine: Machine;
  /** 1-minute load average before and after the run: other work on the machine skews every figure. */
  loadAverage: { start: number; end: number };
  runtimes: Runtimes;
  throughput: ThroughputRow[];
  ratios: Ratio[];
  goal: typeof GOAL;
  counts: { warm: PerRequestCounts; cold: PerRequestCounts };
  limiter: LimiterResults;
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
    const gateway = rows.find((r) => r.target === "gateway" && r.concurrency === concurrency);
    if (!bare || !gateway) return [];
    const throughput = gateway.rps / bare.rps;
    const addedP50Ms = gateway.p50Ms - bare.p50Ms;
    return [
      {
        concurrency,
        throughput,
        addedP50Ms,
        addedP99Ms: gateway.p99Ms - bare.p99Ms,
        cpu:
          gateway.workerdCpuUsPerRequest !== null && bare.workerdCpuUsPerRequest
            ? gateway.workerdCpuUsPerRequest / bare.workerdCpuUsPerRequest
            : null,
        meetsThroughputGoal: throughput >= GOAL.throughputRatio,
        meetsLatencyGoal: addedP50Ms <= GOAL.addedP50Ms,
      },
    ];
  });
}

export function readLatest(): BenchResults {
  return JSON.parse(readFileSync(LATEST_JSON, "utf8")) as BenchResults;
}

export function writeResultFile(name: string, contents: string): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const path = join(RESULTS_DIR, name);
  writeFileSync(path, contents);
  return path;
}
