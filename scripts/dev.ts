// `npm run dev`: local D1 migrated, a local echo upstream, and `wrangler dev` with a demo route
// and a dev admin token. Any `--var NAME:value` you pass wins over these defaults.
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { startEchoUpstream } from "../dev/echo-upstream.ts";
import { ROOT } from "./build.ts";
import { applyLocalMigrations, MigrationError } from "./local-migrations.ts";

export const DEV_ADMIN_TOKEN = "dev-admin-token";
const ECHO_PORT = Number(process.env.ECHO_PORT ?? 8788);

const userArgs = process.argv.slice(2);
const userVars = new Set(
  userArgs.flatMap((arg, i) =>
    userArgs[i - 1] === "--var" ? [arg.split(":")[0]] : arg.startsWith("--var=") ? [arg.slice(6).split(":")[0]] : [],
  ),
);
// Names the operator set in .dev.vars are theirs too: a --var default would shadow them.
const devVars = join(ROOT, ".dev.vars");
if (existsSync(devVars)) {
  for (const line of readFileSync(devVars, "utf8").split("\n")) {
    const name = line.match(/^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=/)?.[1];
    if (name) userVars.add(name);
  }
}

// Offline: skip fetching the `Request.cf` sample, and send no telemetry.
const env = { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" };

const persistIndex = userArgs.findIndex((arg) => arg === "--persist-to" || arg.startsWith("--persist-to="));
const persistTo = persistIndex < 0 ? undefined : (userArgs[persistIndex]?.split("=")[1] ?? userArgs[persistIndex + 1]);
try {
  console.log(`local D1: ${applyLocalMigrations(env, persistTo)}`);
} catch (error) {
  if (!(error instanceof MigrationError)) throw error;
  console.error(error.message);
  process.exit(1);
}

const upstream = await startEchoUpstream(ECHO_PORT).catch(() => startEchoUpstream(0));
console.log(`echo upstream on ${upstream.url}`);

const defaults: Record<string, string> = {
  ADMIN_TOKEN: DEV_ADMIN_TOKEN,
  GATEWAY_ROUTES: JSON.stringify([
    { path: "/demo/*", upstream: upstream.url, stripPrefix: true, headers: { "x-demo-upstream-token": "${DEMO_UPSTREAM_TOKEN}" } },
    { path: "/public/*", upstream: upstream.url, stripPrefix: true, auth: "none", rateLimits: [{ name: "anon", limit: 30, window: 60 }] },
  ]),
  DEMO_UPSTREAM_TOKEN: "demo-upstream-secret",
};
const varArgs = Object.entries(defaults).flatMap(([name, value]) => (userVars.has(name) ? [] : ["--var", `${name}:${value}`]));

const wrangler = spawn("wrangler", ["dev", ...varArgs, ...userArgs], { cwd: ROOT, stdio: "inherit", env });
const stop = () => wrangler.kill("SIGINT");
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
wrangler.on("exit", async (code) => {
  await upstream.close();
  process.exit(code ?? 0);
});
