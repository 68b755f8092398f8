// Checks wrangler.toml before a build (the first step of its [build], so `wrangler deploy`, `wrangler dev`
// and `npm run build` all run it): the selected environment's [vars] through the worker's own validator
// (src/config/settings.ts), each problem naming its field, and the D1 database_id placeholder.
// When it fails and when it only warns: docs/configuration.md, "Checked at build".
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { build } from "esbuild";
import { parse } from "smol-toml";
import { ROOT } from "./build.ts";

/** What `wrangler d1 create` has not yet replaced: the all-zero id wrangler.toml ships with. */
const PLACEHOLDER_DATABASE_ID = /^0{8}-0{4}-0{4}-0{4}-0{12}$/;
const SECRET_REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

type Table = Record<string, unknown>;
type BuildConfig = (env: Record<string, unknown>) => { ok: true } | { ok: false; detail: string };

/** How strict to be: a deploy fails on the placeholder database; dev, tests and dry runs only hear of bad vars. */
export type CheckMode = "deploy" | "dry-run" | "dev";

export interface CheckResult {
  errors: string[];
  warnings: string[];
}

const isTable = (value: unknown): value is Table => typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * The settings and bindings one environment deploys with. As wrangler reads them, `vars`, `d1_databases`
 * and `services` are not inherited: an `[env.<name>]` has only its own.
 */
function environment(config: Table, name: string | undefined): Table | undefined {
  if (name === undefined) return config;
  const envs = isTable(config.env) ? config.env : {};
  const selected = envs[name];
  return isTable(selected) ? selected : undefined;
}

/** The env the worker would see, as far as the file can say: vars, a stand-in for each named secret and service binding. */
function workerEnv(env: Table): Record<string, unknown> {
  const vars = isTable(env.vars) ? env.vars : {};
  const stand: Record<string, unknown> = {};
  // Secrets are not in the file (`wrangler secret put`): a route naming one is checked at run time.
  for (const [, secret] of JSON.stringify(vars.GATEWAY_ROUTES ?? null).matchAll(SECRET_REFERENCE)) stand[secret as string] = "secret";
  if (vars.BILLING_EXPORT !== undefined) stand.BILLING_EXPORT_TOKEN = "secret";
  for (const service of Array.isArray(env.services) ? env.services : []) {
    if (isTable(service) && typeof service.binding === "string") stand[service.binding] = { fetch: () => undefined };
  }
  return { ...stand, ...vars };
}

function placeholderDatabases(env: Table): string[] {
  const databases = Array.isArray(env.d1_databases) ? env.d1_databases : [];
  return databases
    .filter((db) => isTable(db) && PLACEHOLDER_DATABASE_ID.test(String(db.database_id ?? "")))
    .map((db) => String((db as Table).binding));
}

/** Checks one wrangler.toml's text: the environment `envName` (or the top level and every [env.*] when none is named). */
export function checkConfigText(toml: string, buildConfig: BuildConfig, mode: CheckMode, envName?: string): CheckResult {
  const result: CheckResult = { errors: [], warnings: [] };
  let config: Table;
  try {
    config = parse(toml) as Table;
  } catch (error) {
    result.errors.push(`wrangler.toml: ${(error as Error).message.split("\n")[0]}`);
    return result;
  }
  const names = envName !== undefined ? [envName] : [undefined, ...Object.keys(isTable(config.env) ? config.env : {})];
  for (const name of names) {
    const where = name === undefined ? "[vars]" : `[env.${name}.vars]`;
    const env = environment(config, name);
    if (!env) {
      result.errors.push(`[env.${name}]: no such environment in wrangler.toml`);
      continue;
    }
    const built = buildConfig(workerEnv(env));
    if (!built.ok) (mode === "dev" ? result.warnings : result.errors).push(`${where} ${built.detail}`);
    for (const binding of placeholderDatabases(env)) {
      const message = `${name === undefined ? "" : `[env.${name}] `}d1_databases ${binding}: database_id is the placeholder; run \`npx wrangler d1 create\` and put its id in wrangler.toml`;
      // Without a named environment only the top level is certain to be deployed (set CLOUDFLARE_ENV to deploy another).
      if (mode === "deploy" && (name === envName || (envName === undefined && name === undefined))) result.errors.push(message);
      else if (mode !== "dev") result.warnings.push(message);
    }
  }
  return result;
}

/** The worker's validator, bundled for Node from src/ (whose imports name no file extension). */
export async function loadBuildConfig(): Promise<BuildConfig> {
  const bundled = await build({
    absWorkingDir: ROOT,
    entryPoints: ["src/config/settings.ts"],
    bundle: true,
    write: false,
    format: "esm",
    platform: "node",
    logLevel: "error",
  });
  const code = bundled.outputFiles[0]?.text ?? "";
  const module = (await import(`data:text/javascript;base64,${Buffer.from(code).toString("base64")}`)) as { buildConfig: BuildConfig };
  return module.buildConfig;
}

/** wrangler runs [build] with WRANGLER_COMMAND set; scripts/build.ts marks its dry run. */
function modeFromEnv(): CheckMode {
  const command = process.env.WRANGLER_COMMAND ?? "";
  if (command === "dev") return "dev";
  if (process.env.GATEWAY_DRY_RUN === "1" || !["deploy", "versions upload"].includes(command)) return "dry-run";
  return wranglerDryRun() ? "dry-run" : "deploy";
}

/**
 * Whether the wrangler that runs this [build] was given `--dry-run` (it tells its build step only the
 * command): read from the command lines of this process's ancestors where the system shows them
 * (/proc); elsewhere a deploy is assumed, the strict choice.
 */
function wranglerDryRun(): boolean {
  let pid = process.ppid;
  for (let depth = 0; depth < 4 && pid > 1; depth++) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").includes("--dry-run")) return true;
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      pid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    } catch {
      return false;
    }
  }
  return false;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: { config: { type: "string", default: "wrangler.toml" }, env: { type: "string" }, mode: { type: "string" } },
  });
  const mode = (values.mode as CheckMode | undefined) ?? modeFromEnv();
  const envName = values.env ?? (process.env.CLOUDFLARE_ENV || undefined);
  const path = resolve(values.config);
  const result = checkConfigText(readFileSync(path, "utf8"), await loadBuildConfig(), mode, envName);
  for (const warning of result.warnings) console.warn(`config check: warning: ${warning}`);
  for (const error of result.errors) console.error(`config check: ${error}`);
  if (result.errors.length > 0) {
    console.error(`config check: ${path} is not deployable (docs/configuration.md, "Checked at build")`);
    process.exit(1);
  }
}
