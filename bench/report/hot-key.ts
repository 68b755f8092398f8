// bench/results/hot-key.json (written by `npm run bench:leases`) and its table.
import type { HotKeyResult, HotKeyScenario } from "../leases/hot-key.ts";
import type { Table } from "./tables.ts";

export interface HotKeyResults {
  generatedAt: string;
  command: string;
  scenario: HotKeyScenario;
  runs: HotKeyResult[];
  seconds: number;
}

const whole = (n: number) => Math.round(n).toLocaleString("en-US");
const percent = (fraction: number, digits = 1) => `${(100 * fraction).toFixed(digits)}%`;

export function hotKeyTable({ scenario: s, runs }: HotKeyResults): Table {
  return {
    title:
      `One hot key, ${s.limit.label}: ${s.isolates} isolates, ${whole(s.demandPerSecond)} req/s offered for ${s.seconds} s, ` +
      `object capped at ${whole(s.objectCallsPerSecond)} calls/s, each call and answer delayed ${s.delayMs[0]}–${s.delayMs[1]} ms (virtual time)`,
    headers: ["limiter", "admitted req/s", "worst window / limit", "admitted with no call", "object calls/s", "longest queue wait ms"],
    numeric: [1, 2, 3, 4, 5],
    rows: runs.map((r) => [
      r.system,
      whole(r.admittedPerSecond),
      percent(r.worstWindowShare, 2),
      percent(r.admittedLocallyShare),
      whole(r.objectCallsPerSecond),
      whole(r.maxQueueMs),
    ]),
  };
}
