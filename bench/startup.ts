/**
 * A new isolate's startup CPU (docs/performance.md § Cold start): the worker as `wrangler deploy`
 * uploads it, profiled by `wrangler check startup` again and again (one run varies a lot on a busy
 * machine), with any earlier bundles (`--baseline`, made by `wrangler deploy --dry-run --outfile`)
 * profiled in turn in the same minutes. Prints each bundle's size and its minimum and median "Active".
 * Run: npm run bench:startup -- [--runs 11] [--baseline old.bundle]…
 */
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ROOT } from "../scripts/build.ts";
import { percentile } from "./stats.ts";

const { values } = parseArgs({
  options: { runs: { type: "string", default: "11" }, baseline: { type: "string", multiple: true, default: [] } },
});
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs: not a positive integer: ${values.runs}`);

const OUT_DIR = join(ROOT, ".build/startup");
// GATEWAY_DRY_RUN: the build's config check only warns of the placeholder database_id (scripts/check-config.ts).
const env = { ...process.env, WRANGLER_SEND_METRICS: "false", GATEWAY_DRY_RUN: "1" };

function wrangler(args: string[]): string {
  return execFileSync("wrangler", args, { cwd: ROOT, env, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
}

/** One `wrangler check startup` run: its "Active" milliseconds and the bundle size line. */
function profile(bundle: string): { activeMs: number; size: string } {
  const output = wrangler(["check", "startup", "--worker", bundle, "--outfile", join(OUT_DIR, "worker-startup.cpuprofile")]);
  const active = output.match(/Active: ([\d.]+) ms/);
  const size = output.match(/Bundle: (.+)/);
  if (!active || !size) throw new Error(`no "Active" figure in wrangler's output:\n${output}`);
  return { activeMs: Number(active[1]), size: size[1]!.trim() };
}

mkdirSync(OUT_DIR, { recursive: true });
const current = join(OUT_DIR, "worker.bundle");
wrangler(["deploy", "--dry-run", "--outfile", current]);

const bundles = [current, ...values.baseline];
const samples = new Map(bundles.map((bundle) => [bundle, [] as number[]]));
const sizes = new Map<string, string>();
for (let run = 0; run < runs; run++) {
  for (const bundle of bundles) {
    const { activeMs, size } = profile(bundle);
    samples.get(bundle)!.push(activeMs);
    sizes.set(bundle, size);
  }
}

console.log(`| bundle | size | runs | minimum "Active" ms | median "Active" ms |`);
console.log(`| --- | --- | ---: | ---: | ---: |`);
for (const bundle of bundles) {
  const sorted = Float64Array.from(samples.get(bundle)!).sort();
  const name = bundle === current ? "this tree" : bundle;
  console.log(`| ${name} | ${sizes.get(bundle)} | ${runs} | ${sorted[0]!.toFixed(1)} | ${percentile(sorted, 50).toFixed(1)} |`);
}
