// Builds the worker exactly as `wrangler deploy` uploads it (the entry and its modules), into .build/worker/, for miniflare runs.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));
export const BUILD_DIR = ".build/worker";

export function buildWorker(): string {
  execFileSync("wrangler", ["deploy", "--dry-run", "--outdir", BUILD_DIR], {
    cwd: ROOT,
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
  });
  return `${ROOT}${BUILD_DIR}/index.mjs`;
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(buildWorker());
