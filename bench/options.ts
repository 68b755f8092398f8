import { parseArgs } from "node:util";
import type { StorageKind } from "./storage.ts";

export interface BenchOptions {
  durationMs: number;
  warmupMs: number;
  concurrencies: number[];
  /** Measured time of each limiter run. */
  limiterMs: number;
  storage: StorageKind;
  /** Also measure the hot key with DO state on the temp disk. */
  limiterOnDisk: boolean;
  write: boolean;
  quick: boolean;
}

const USAGE = `npm run bench -- [--quick] [--duration S] [--warmup S] [--concurrency 1,8,32,64] [--storage tmpfs|disk] [--no-write]
  env: BENCH_DURATION, BENCH_WARMUP, BENCH_CONCURRENCY, BENCH_STORAGE`;

function seconds(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const s = Number(value);
  if (!(s > 0)) throw new Error(`not a positive number of seconds: ${value}\n${USAGE}`);
  return s * 1000;
}

function concurrencyList(value: string | undefined, fallback: number[]): number[] {
  if (value === undefined) return fallback;
  const list = value.split(",").map(Number);
  if (list.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`bad concurrency list: ${value}\n${USAGE}`);
  return list;
}

export function parseOptions(argv: string[], env: NodeJS.ProcessEnv): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: "boolean", default: false },
      duration: { type: "string" },
      warmup: { type: "string" },
      concurrency: { type: "string" },
      storage: { type: "string" },
      "no-write": { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const quick = values.quick ?? false;
  const storage = values.storage ?? env.BENCH_STORAGE ?? "tmpfs";
  if (storage !== "tmpfs" && storage !== "disk") throw new Error(`--storage must be tmpfs or disk\n${USAGE}`);
  // Defaults keep a full run under 3 minutes and --quick near 30 s on a 2-core machine.
  return {
    durationMs: seconds(values.duration ?? env.BENCH_DURATION, quick ? 1000 : 7000),
    warmupMs: seconds(values.warmup ?? env.BENCH_WARMUP, quick ? 300 : 1500),
    concurrencies: concurrencyList(values.concurrency ?? env.BENCH_CONCURRENCY, [1, 8, 32, 64]),
    limiterMs: quick ? 750 : 2000,
    storage,
    limiterOnDisk: !quick && storage === "tmpfs",
    write: !values["no-write"],
    quick,
  };
}
