// docs/performance.md: every benchmark's full tables, regenerated between two markers from
// whatever bench/results/*.json holds. Hand-written sections of the file live outside the markers.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../../scripts/build.ts";
import { HOT_KEY_JSON, LIMITER_ACCURACY_JSON, RESULTS_DIR, readLatest } from "../results.ts";
import { type AccuracyResults, accuracyTables } from "./accuracy.ts";
import { edgeSection } from "./edge.ts";
import { type HotKeyResults, hotKeyTable } from "./hot-key.ts";
import { markdownSummary, markdownTable } from "./markdown.ts";

export const START = "<!-- bench:start -->";
export const END = "<!-- bench:end -->";
export const PERFORMANCE_DOC = join(ROOT, "docs/performance.md");
/** The accuracy benchmark's per-scenario and per-trace tables: too long for the doc, linked from it. */
export const LIMITER_ACCURACY_MD = join(RESULTS_DIR, "limiter-accuracy.md");

/** Replaces what lies between the markers; undefined if `text` has no (well-ordered) markers. */
export function replaceBetweenMarkers(text: string, section: string, start = START, end = END): string | undefined {
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from === -1 || to === -1 || to < from) return undefined;
  return `${text.slice(0, from + start.length)}\n${section}\n${text.slice(to)}`;
}

function accuracySection(): string[] {
  if (!existsSync(LIMITER_ACCURACY_JSON)) return [];
  const file = JSON.parse(readFileSync(LIMITER_ACCURACY_JSON, "utf8")) as Partial<AccuracyResults>;
  // A file of an older shape: rerun `npm run bench:limiter`.
  if (!file.limiters || !file.leases) return [];
  const results = file as AccuracyResults;
  const tables = accuracyTables(results);
  return [
    "## Limiter accuracy",
    `Generated ${results.generatedAt} by \`${results.command}\` in ${results.seconds.toFixed(1)} s` +
      `${results.cpuSeconds === undefined ? "" : ` (${results.cpuSeconds.toFixed(0)} s of CPU)`} (virtual time, no runtime).`,
    "Every limiter sees the same seeded traces and decides on its own state; the exact sliding log is the reference. " +
      "*wrong (same history)* counts decisions an exact log holding the limiter's own admissions would have taken otherwise; " +
      "*differs from independent exact run* compares with the exact limiter run on its own; *max overshoot* is the most admitted " +
      "in any true sliding window over the limit, minus 1 (0 is the bound). Cloudflare's counter weights the previous fixed window by " +
      "the share the sliding window still overlaps and counts admitted units only. The leased limiters run the gateway's lease modules " +
      `(bench/leases/): each request goes to a random isolate, LEASE_TTL_MS=${results.leases.leaseTtlMs}, every call to the key's object ` +
      `and its answer take ${results.leases.rpcDelayMs[0]}–${results.leases.rpcDelayMs[1]} ms each way, no isolate dies; a request its ` +
      "isolate cannot decide counts as decided when the object decides it, and so do its overshoot windows. Past 10,000 entries " +
      "per window (the 100,000/day traces) SlidingWindow approximates, in the key's object as well, so there the leased " +
      "limiters inherit its overshoot; see the per-trace table.",
    ...tables.slice(0, 1).map(markdownTable),
    "Per scenario and per trace: [bench/results/limiter-accuracy.md](../bench/results/limiter-accuracy.md), written with this section.",
  ];
}

/** Every accuracy table, the doc's summary included, in bench/results/limiter-accuracy.md. */
function writeAccuracyDetails(): void {
  const section = accuracySection();
  if (section.length === 0 || !existsSync(LIMITER_ACCURACY_JSON)) return;
  const results = JSON.parse(readFileSync(LIMITER_ACCURACY_JSON, "utf8")) as AccuracyResults;
  const [heading, generated, reading] = section;
  writeFileSync(
    LIMITER_ACCURACY_MD,
    `${[`#${heading}, every table`, generated, reading, ...accuracyTables(results).map(markdownTable)].join("\n\n")}\n`,
  );
}

function hotKeySection(): string[] {
  if (!existsSync(HOT_KEY_JSON)) return [];
  const results = JSON.parse(readFileSync(HOT_KEY_JSON, "utf8")) as HotKeyResults;
  return [
    "## One hot key past the object's ceiling",
    `Generated ${results.generatedAt} by \`${results.command}\` in ${results.seconds.toFixed(1)} s (virtual time, no runtime; ` +
      "the gateway's lease modules: the object's composed in bench/leases/leased.ts, and on each isolate the lease client the " +
      "middleware runs, src/ratelimit/lease-client.ts). Each request goes to a random isolate, which admits it from its lease; refuses it on the " +
      "object's word (a refusal, or a *full* lease when the key is at its limit and the request already waited once); waits for " +
      "the isolate's one lease call in flight; or calls the object. *of an exact limiter's admissions*: against one object " +
      "with no ceiling deciding every request on arrival (at a steady 2× demand it admits a window's worth, then nothing until " +
      "that leaves the window). A request is counted when it is decided; every sliding window of the admissions is checked " +
      "against the limit. *still queued at the end*: requests whose call the object had not served when the span ended.",
    markdownTable(hotKeyTable(results)),
  ];
}

function gatewaySection(): string[] {
  const latest = readLatest();
  if (!latest) return [];
  return ["## Gateway on workerd", markdownSummary(latest, "../bench/results/throughput.svg", "../bench/results/latest.md")];
}

export function performanceSection(): string {
  return [
    "Generated by the benchmarks (`npm run bench`, `npm run bench:limiter`, `npm run bench:leases`, `npm run bench:edge`); do not edit between the markers.",
    ...gatewaySection(),
    ...hotKeySection(),
    ...edgeSection(),
    ...accuracySection(),
  ].join("\n\n");
}

/** Biome formats markdown (aligned tables) and `npm run lint` checks it: write what it would. */
export function formatMarkdown(path: string): void {
  execFileSync(join(ROOT, "node_modules/.bin/biome"), ["format", "--write", path], { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });
}

/** Rewrites the generated section, creating the file with a heading and the markers if needed. */
export function updatePerformanceDoc(path = PERFORMANCE_DOC): void {
  const current = existsSync(path) ? readFileSync(path, "utf8") : `# Performance\n\n${START}\n${END}\n`;
  const next = replaceBetweenMarkers(current, performanceSection());
  if (next === undefined) throw new Error(`${path} needs ${START} … ${END} markers`);
  writeFileSync(path, next);
  formatMarkdown(path);
  writeAccuracyDetails();
}
