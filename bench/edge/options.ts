// `npm run bench:edge` options: the model's defaults, the flags that change them, and `--quick`.
import { parseArgs } from "node:util";

export interface EdgeLocation {
  name: string;
  /** Share of all requests arriving there. */
  share: number;
}

export interface EdgeOptions {
  seed: number;
  /** Requests per second over all locations. */
  rate: number;
  durationMs: number;
  keys: number;
  zipfS: number;
  locations: EdgeLocation[];
  /** Isolates serving a location at any moment (each replaced by a cold one when it ends). */
  isolatesPerLocation: number;
  /** Mean life of an isolate, exponentially distributed. */
  isolateLifetimeMs: number;
  /** Round trip from any location to D1's primary (or a store), and to a key's object (or a verifier). */
  d1RttMs: number;
  objectRttMs: number;
  /** From a key's object to D1's primary: the read inside `gateway`'s `resolve` when the object lacks the newest record. */
  objectD1RttMs: number;
  /** `gateway`'s key objects start with empty storage (keys created before creates handed objects their records). */
  coldObjects: boolean;
  /** Each trip takes its RTT times a factor drawn uniformly from [1 − jitter, 1 + jitter]. */
  rttJitter: number;
  /** Every key's one limit: `limit` per `windowMs`. */
  windowMs: number;
  minLimit: number;
  revocations: number;
  /** Revoked keys are drawn from the busiest this many. */
  revokeAmong: number;
  /** Share of keys imported in a foreign format (found in D1 by hash in every design that has D1). */
  importedShare: number;
  leaseTtlMs: number;
  /** The isolate key cache (KEY_CACHE_TTL_SECONDS, KEY_CACHE_MAX_ENTRIES). */
  keyCacheTtlMs: number;
  keyCacheEntries: number;
  /** `edge-cache-60s`: how long a location keeps a record. */
  edgeCacheTtlMs: number;
}

export const DEFAULT_EDGE_OPTIONS: EdgeOptions = {
  seed: 0x25ed9e,
  rate: 2000,
  durationMs: 300_000,
  keys: 10_000,
  zipfS: 1.1,
  locations: [
    { name: "near the primary", share: 0.4 },
    { name: "same continent", share: 0.3 },
    { name: "other continent", share: 0.2 },
    { name: "far", share: 0.1 },
  ],
  isolatesPerLocation: 3,
  isolateLifetimeMs: 120_000,
  d1RttMs: 60,
  objectRttMs: 40,
  objectD1RttMs: 60,
  coldObjects: false,
  rttJitter: 0.25,
  windowMs: 60_000,
  minLimit: 60,
  revocations: 12,
  revokeAmong: 1000,
  importedShare: 0,
  leaseTtlMs: 1000,
  keyCacheTtlMs: 60_000,
  keyCacheEntries: 10_000,
  edgeCacheTtlMs: 60_000,
};

/** `--quick`: a tenth of the default run's virtual time. */
export const QUICK_DURATION_MS = 60_000;

const USAGE = `npm run bench:edge -- [--quick] [--rate N] [--duration S] [--seed N] [--d1-rtt MS] [--object-rtt MS] [--object-d1-rtt MS (default: --d1-rtt)] [--cold-objects] [--imported SHARE] [--revocations N] [--no-write]`;

function positive(value: string | undefined, fallback: number, what: string, allowZero = false): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!(allowZero ? n >= 0 : n > 0) || !Number.isFinite(n))
    throw new Error(`${what}: not a ${allowZero ? "non-negative" : "positive"} number: ${value}\n${USAGE}`);
  return n;
}

export function parseEdgeOptions(argv: string[]): { options: EdgeOptions; write: boolean; quick: boolean } {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: "boolean", default: false },
      rate: { type: "string" },
      duration: { type: "string" },
      seed: { type: "string" },
      "d1-rtt": { type: "string" },
      "object-rtt": { type: "string" },
      "object-d1-rtt": { type: "string" },
      "cold-objects": { type: "boolean", default: false },
      imported: { type: "string" },
      revocations: { type: "string" },
      "no-write": { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const quick = values.quick ?? false;
  const d = DEFAULT_EDGE_OPTIONS;
  const importedShare = positive(values.imported, d.importedShare, "--imported", true);
  if (importedShare > 1) throw new Error(`--imported is a share from 0 to 1\n${USAGE}`);
  const d1RttMs = positive(values["d1-rtt"], d.d1RttMs, "--d1-rtt", true);
  const options: EdgeOptions = {
    ...d,
    rate: positive(values.rate, d.rate, "--rate"),
    durationMs: positive(values.duration, (quick ? QUICK_DURATION_MS : d.durationMs) / 1000, "--duration") * 1000,
    seed: Math.floor(positive(values.seed, d.seed, "--seed", true)),
    d1RttMs,
    objectRttMs: positive(values["object-rtt"], d.objectRttMs, "--object-rtt", true),
    objectD1RttMs: positive(values["object-d1-rtt"], d1RttMs, "--object-d1-rtt", true),
    coldObjects: values["cold-objects"] ?? false,
    importedShare,
    revocations: Math.floor(positive(values.revocations, d.revocations, "--revocations", true)),
  };
  return { options, write: !values["no-write"], quick };
}
