// Builds the worker exactly as `wrangler deploy` uploads it (the entry and its modules), into .build/worker/, for miniflare runs.
// The config check in wrangler's [build] runs too: a bad setting fails the build; the placeholder database_id only warns (a dry run).
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));
export const BUILD_DIR = ".build/worker";

/** `report` hears the config check's warnings (tests and benches need not: the placeholder database_id is theirs to keep). */
export function buildWorker(report: (warning: string) => void = () => {}): string {
  let output: string;
  try {
    output = execFileSync("wrangler", ["deploy", "--dry-run", "--outdir", BUILD_DIR], {
      cwd: ROOT,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", GATEWAY_DRY_RUN: "1" },
    });
  } catch (error) {
    // wrangler prints its [build]'s output, the config check's findings among it, on stdout.
    process.stderr.write((error as { stdout?: string }).stdout ?? "");
    throw error;
  }
  for (const line of output.split("\n")) if (line.includes("config check:")) report(line.replace(/^\[custom build\] /, ""));
  return `${ROOT}${BUILD_DIR}/index.mjs`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    console.log(buildWorker(console.warn));
  } catch {
    process.exit(1); // wrangler and the config check have said why on stderr
  }
}
