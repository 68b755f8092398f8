/**
 * `npm run bench:leases`: one hot key past the 1,000 calls/s object ceiling, in virtual time, with
 * the gateway's lease modules and with LEASE_TTL_MS=0; writes bench/results/hot-key.json and the
 * table in docs/performance.md. bench/leases/hot-key.ts describes the simulation.
 */
import { HOT_KEY_SCENARIOS, type HotKeyResult, simulateHotKey } from "./leases/hot-key.ts";
import { leasedSystem } from "./leases/leased.ts";
import { unleasedSystem } from "./leases/unleased.ts";
import { type HotKeyResults, hotKeyTable } from "./report/hot-key.ts";
import { markdownTable } from "./report/markdown.ts";
import { updatePerformanceDoc } from "./report/performance-doc.ts";
import { writeResultFile } from "./results.ts";

const started = performance.now();
const runs: HotKeyResult[] = HOT_KEY_SCENARIOS.flatMap((scenario) =>
  [leasedSystem(), unleasedSystem].map((system) => simulateHotKey(system, scenario)),
);
const results: HotKeyResults = {
  generatedAt: new Date().toISOString(),
  command: "npm run bench:leases",
  scenarios: HOT_KEY_SCENARIOS,
  runs,
  seconds: (performance.now() - started) / 1000,
};
console.log(markdownTable(hotKeyTable(results)));
writeResultFile("hot-key.json", `${JSON.stringify(results, null, 2)}\n`);
updatePerformanceDoc();
