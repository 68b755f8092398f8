// bench/results/hot-key.json (written by `npm run bench:leases`) and its table.
import type { HotKeyResult, HotKeyScenario } from "../leases/hot-key.ts";
import type { Table } from "./tables.ts";

export interface HotKeyResults {
  generatedAt: string;
  command: string;
  scenarios: HotKeyScenario[];
  runs: HotKeyResult[];
  seconds: number;
}

const whole = (n: number) => Math.round(n).toLocaleString("en-US");
const percent = (fraction: number, digits = 1) => `${(100 * fraction).toFixed(digits)}%`;

/** What every scenario shares, for the title. */
function setting(s: HotKeyScenario): string {
  return (
    `${s.isolates} isolates, object capped at ${whole(s.objectCallsPerSecond)} calls/s (calls queue), ` +
    `each call and answer delayed ${s.delayMs[0]}–${s.delayMs[1]} ms, ${s.seconds} s of virtual time`
  );
}

export function hotKeyTable({ scenarios, runs }: HotKeyResults): Table {
  const first = scenarios[0];
  return {
    title: `One hot key past the object's ceiling${first ? `: ${setting(first)}` : ""}`,
    headers: [
      "key",
      "limiter",
      "admitted req/s",
      "of an exact limiter's admissions",
      "worst window / limit",
      "admitted with no call",
      "object calls/s",
      "still queued at the end",
    ],
    numeric: [2, 3, 4, 5, 6, 7],
    rows: runs.map((r) => {
      const s = scenarios.find((x) => x.name === r.scenario);
      return [
        s ? `${whole(s.demandPerSecond)} req/s offered, limit ${s.limit.label} (${r.scenario})` : r.scenario,
        r.system,
        whole(r.admittedPerSecond),
        percent(r.exactShare, 2),
        percent(r.worstWindowShare, 2),
        percent(r.admittedLocallyShare),
        whole(r.objectCallsPerSecond),
        whole(r.undecidedAtEnd),
      ];
    }),
  };
}
