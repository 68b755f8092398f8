// The config check in wrangler.toml's [build] (scripts/check-config.ts): a bad setting fails the build naming
// its field, with the worker's own validator; the placeholder database_id fails a deploy only.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT } from "../../scripts/build.ts";

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), "config-check-"));
const shipped = readFileSync(join(ROOT, "wrangler.toml"), "utf8");
const REAL_DATABASE_ID = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeConfig(name: string, toml: string): string {
  const path = join(dir, name);
  writeFileSync(path, toml);
  return path;
}

async function check(path: string, env: Record<string, string> = {}): Promise<{ code: number; stderr: string }> {
  try {
    const { stderr } = await run(process.execPath, ["scripts/check-config.ts", "--config", path], {
      cwd: ROOT,
      env: { ...process.env, WRANGLER_COMMAND: "", GATEWAY_DRY_RUN: "", CLOUDFLARE_ENV: "", ...env },
    });
    return { code: 0, stderr };
  } catch (error) {
    const failed = error as { code: number; stderr: string };
    return { code: failed.code, stderr: failed.stderr };
  }
}

const withRealDatabase = (toml: string) => toml.replace(/database_id = "0{8}-[0-]+"/, `database_id = "${REAL_DATABASE_ID}"`);
const badRoute = (toml: string) =>
  toml.replace('upstream = "https://api.example.com"', 'upstream = "ftp://api.example.com"\ntimeoutMs = 0');

describe("the config check at build", () => {
  it("passes the shipped wrangler.toml with a real database id, also for a deploy", async () => {
    const result = await check(writeConfig("good.toml", withRealDatabase(shipped)), { WRANGLER_COMMAND: "deploy" });
    expect(result).toEqual({ code: 0, stderr: "" });
  });

  it("fails on a bad route, naming each bad field", async () => {
    const result = await check(writeConfig("bad-route.toml", withRealDatabase(badRoute(shipped))));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("[vars] GATEWAY_ROUTES[0].upstream: must be an https:// (or http://) origin");
    expect(result.stderr).toContain("GATEWAY_ROUTES[0].timeoutMs:");
  });

  it("fails on a bad scalar setting and a route given as broken JSON", async () => {
    const toml = withRealDatabase(shipped).replace('GATEWAY_REALM = "gateway"', 'GATEWAY_REALM = "gateway"\nLEASE_TTL_MS = "90000"');
    expect((await check(writeConfig("bad-setting.toml", toml))).stderr).toContain("[vars] LEASE_TTL_MS: Too big");
    const json = toml
      .slice(0, toml.indexOf("[[vars.GATEWAY_ROUTES]]"))
      .replace(/^\[vars\]$/m, `[vars]\nGATEWAY_ROUTES = '[{"path":"/v1/*",'`);
    expect((await check(writeConfig("bad-json.toml", json))).stderr).toContain("[vars] GATEWAY_ROUTES: must be an array of route tables");
  });

  it("takes a route's ${SECRET} and a configured service binding as given", async () => {
    const toml = `${withRealDatabase(shipped)}headers = { Authorization = "Bearer \${UPSTREAM_TOKEN}" }

[[services]]
binding = "BACKEND"
service = "backend"

[[vars.GATEWAY_ROUTES]]
path = "/internal/*"
upstream = "service:BACKEND"
`;
    expect(await check(writeConfig("secrets.toml", toml))).toEqual({ code: 0, stderr: "" });
    const missing = await check(writeConfig("no-service.toml", toml.replace('binding = "BACKEND"', 'binding = "OTHER"')));
    expect(missing.stderr).toContain("GATEWAY_ROUTES[1].upstream: no service binding named BACKEND");
  });

  it("fails a deploy on the placeholder database_id, warns a dry run, and says nothing to wrangler dev", async () => {
    const path = writeConfig("placeholder.toml", shipped);
    const deploy = await check(path, { WRANGLER_COMMAND: "deploy" });
    expect(deploy.code).toBe(1);
    expect(deploy.stderr).toContain("d1_databases DB: database_id is the placeholder");
    const dryRun = await check(path, { WRANGLER_COMMAND: "deploy", GATEWAY_DRY_RUN: "1" });
    expect(dryRun.code).toBe(0);
    expect(dryRun.stderr).toContain("warning: d1_databases DB: database_id is the placeholder");
    expect(await check(path, { WRANGLER_COMMAND: "dev" })).toEqual({ code: 0, stderr: "" });
  });

  it("checks every [env.*] when none is chosen, and only the chosen one with CLOUDFLARE_ENV", async () => {
    const toml = `${withRealDatabase(shipped)}
[env.staging]
name = "edge-api-gateway-staging"

[[env.staging.d1_databases]]
binding = "DB"
database_name = "gateway-staging"
database_id = "00000000-0000-0000-0000-000000000000"

[env.staging.vars]
KEY_PREFIX = "gk_test"
GATEWAY_ROUTES = '[{"path":"v1/*","upstream":"https://staging.example.com"}]'
`;
    const path = writeConfig("staging.toml", toml);
    const all = await check(path, { WRANGLER_COMMAND: "deploy" });
    expect(all.code).toBe(1);
    expect(all.stderr).toContain("[env.staging.vars] GATEWAY_ROUTES[0].path:");
    // Only the top level is certain to deploy without a named environment: staging's placeholder is a warning.
    expect(all.stderr).toContain("warning: [env.staging] d1_databases DB");
    const staging = await check(path, { WRANGLER_COMMAND: "deploy", CLOUDFLARE_ENV: "staging" });
    expect(staging.stderr).toContain("config check: [env.staging] d1_databases DB: database_id is the placeholder");
    expect(staging.stderr).not.toContain("[vars] ");
    const fixed = writeConfig(
      "staging-fixed.toml",
      withRealDatabase(toml.replace('"path":"v1/*"', '"path":"/v1/*"')).replace(/0{8}-0{4}-0{4}-0{4}-0{12}/, REAL_DATABASE_ID),
    );
    expect(await check(fixed, { WRANGLER_COMMAND: "deploy", CLOUDFLARE_ENV: "staging" })).toEqual({ code: 0, stderr: "" });
  });

  it("fails wrangler's own build: a deploy dry run of a config with a bad route names the field", async () => {
    writeConfig("index.mjs", "export default { fetch: () => new Response('') };\n");
    const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(join(ROOT, "scripts/check-config.ts"))}`;
    const toml = `name = "config-check"\nmain = "index.mjs"\ncompatibility_date = "2026-11-01"\n\n[build]\ncommand = ${JSON.stringify(command)}\n\n[vars]\n[[vars.GATEWAY_ROUTES]]\npath = "/v1/*"\nupstream = "https://api.example.com"\nauth = "sometimes"\n`;
    const path = writeConfig("wrangler.toml", toml);
    const wrangler = join(ROOT, "node_modules/.bin/wrangler");
    const failed = await run(wrangler, ["deploy", "--dry-run", "--config", path, "--outdir", join(dir, "out")], {
      cwd: dir,
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_ENV: "" },
    }).then(
      () => undefined,
      (error: { stdout: string; code: number }) => error,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stdout).toContain('[vars] GATEWAY_ROUTES[0].auth: Invalid option: expected one of "required"|"optional"|"none"');
  });
});

describe("docs/deploy.md's wrangler.toml examples", () => {
  /** The ```toml block of deploy.md that follows `marker`. */
  const tomlBlock = (marker: string) => {
    const text = readFileSync(join(ROOT, "docs/deploy.md"), "utf8");
    const from = text.indexOf("```toml", text.indexOf(marker));
    return text.slice(from + "```toml".length, text.indexOf("```", from + 7));
  };

  it("the staging environment passes the check and wrangler's own reader, with its own D1, objects and dataset", async () => {
    const toml = `${withRealDatabase(shipped)}\n${tomlBlock("## Staging")}`;
    const path = writeConfig("deploy-staging.toml", toml);
    expect(await check(path, { WRANGLER_COMMAND: "deploy", CLOUDFLARE_ENV: "staging" })).toEqual({ code: 0, stderr: "" });
    const { unstable_readConfig } = await import("wrangler");
    const staging = unstable_readConfig({ config: path, env: "staging" }, { hideWarnings: true });
    expect(staging.name).toBe("edge-api-gateway-staging");
    expect(staging.workers_dev).toBe(false);
    expect(staging.d1_databases.map((db: { database_name?: string }) => db.database_name)).toEqual(["gateway-staging"]);
    expect(staging.durable_objects.bindings.map((binding: { name: string }) => binding.name).sort()).toEqual([
      "BILLING_OUTBOX",
      "CLIENT_IP_COUNTER",
      "KEY_LIMITER",
      "WEBHOOK_OUTBOX",
    ]);
    expect(staging.analytics_engine_datasets).toEqual([{ binding: "USAGE", dataset: "gateway_usage_staging" }]);
    expect(staging.vars.KEY_PREFIX).toBe("gk_test");
  }, 60_000);

  it("the custom domains example is a config wrangler reads, and passes the check", async () => {
    const domains = tomlBlock("## Custom domains and hosts");
    // The example's [vars] adds to the shipped one: merged here, as an operator would edit the file.
    const [top = "", vars = ""] = domains.split("[vars]");
    const toml = withRealDatabase(shipped)
      .replace("workers_dev = true\n", "")
      .replace(/^\[vars\]$/m, `[vars]${vars}`)
      .replace("# Client keys, their secrets", `${top}\n# Client keys, their secrets`);
    const path = writeConfig("deploy-domains.toml", toml);
    expect(await check(path, { WRANGLER_COMMAND: "deploy" })).toEqual({ code: 0, stderr: "" });
    const { unstable_readConfig } = await import("wrangler");
    const config = unstable_readConfig({ config: path }, { hideWarnings: true });
    expect(config.workers_dev).toBe(false);
    expect(config.routes).toContainEqual({ pattern: "dashboard.example.com", custom_domain: true });
    expect(config.vars).toMatchObject({ DASHBOARD_HOST: "dashboard.example.com", PORTAL_HOST: "portal.example.com" });
  }, 60_000);
});
