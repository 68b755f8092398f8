// Applies the D1 migrations to local state for `npm run dev` with one line of output ("applied N
// migrations" or "database up to date") instead of wrangler's table per migration; a failure prints
// wrangler's whole output.
import { spawnSync } from "node:child_process";
import { ROOT } from "./build.ts";

export class MigrationError extends Error {}

/** One line saying what `wrangler d1 migrations apply` did, from its output. */
export function migrationSummary(output: string): string {
  if (/No migrations to apply/.test(output)) return "database up to date";
  const applied = Number(output.match(/About to apply (\d+) migration/)?.[1] ?? Number.NaN);
  if (Number.isNaN(applied)) return "migrations applied";
  return `applied ${applied} migration${applied === 1 ? "" : "s"}`;
}

/** Applies the migrations to the local database (`--persist-to` as `wrangler dev` gets it, if any). */
export function applyLocalMigrations(env: NodeJS.ProcessEnv, persistTo?: string): string {
  const args = ["d1", "migrations", "apply", "DB", "--local", ...(persistTo ? ["--persist-to", persistTo] : [])];
  // CI=true: wrangler answers its "continue?" prompt itself.
  const result = spawnSync("wrangler", args, { cwd: ROOT, encoding: "utf8", env: { ...env, CI: "true" } });
  const output = `${result.stdout ?? ""}${result.stderr ?? ""}`;
  if (result.status !== 0) throw new MigrationError(`local D1 migrations failed:\n${output}${result.error ? String(result.error) : ""}`);
  return migrationSummary(output);
}
