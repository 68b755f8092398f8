// `npm run dev`: local D1 migrated, a local echo upstream, a local OpenID Connect provider for the
// customers' portal (unless you give OIDC_ISSUER), and `wrangler dev` with a demo route, a dev admin
// token and a `free` plan for new customers. Any `--var NAME:value` you pass wins over these defaults.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { startEchoUpstream } from "../dev/echo-upstream.ts";
import { type LocalOidcProvider, startOidcProvider } from "../dev/oidc-provider.ts";
import { ROOT } from "./build.ts";

export const DEV_ADMIN_TOKEN = "dev-admin-token";
const ECHO_PORT = Number(process.env.ECHO_PORT ?? 8788);
const OIDC_PORT = Number(process.env.OIDC_PORT ?? 8789);
/** The portal's client at the local provider. */
const DEV_OIDC_CLIENT = { clientId: "local-portal", clientSecret: "local-portal-secret" };
/** The plan new customers get under `npm run dev`, created at start through the admin API. */
const DEV_PLAN = { name: "free", rateLimits: [{ name: "minute", limit: 60, window: 60 }], maxKeys: 5 };

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

execFileSync("wrangler", ["d1", "migrations", "apply", "DB", "--local"], { cwd: ROOT, stdio: "inherit", env: { ...env, CI: "true" } });

const upstream = await startEchoUpstream(ECHO_PORT).catch(() => startEchoUpstream(0));
console.log(`echo upstream on ${upstream.url}`);

// The port wrangler dev serves on: the provider must know the portal's callback URL.
const portArg = userArgs.flatMap((arg, i) => (arg === "--port" ? [userArgs[i + 1]] : arg.startsWith("--port=") ? [arg.slice(7)] : []))[0];
const gatewayPort = Number(portArg ?? 8787);
const callbacks = ["localhost", "127.0.0.1"].map((host) => `http://${host}:${gatewayPort}/_gateway/portal/callback`);
let provider: LocalOidcProvider | undefined;
if (!userVars.has("OIDC_ISSUER")) {
  const options = { clients: [{ ...DEV_OIDC_CLIENT, redirectUris: callbacks }] };
  provider = await startOidcProvider({ ...options, port: OIDC_PORT }).catch(() => startOidcProvider(options));
  console.log(
    `OpenID Connect provider on ${provider.issuer}: sign in to http://localhost:${gatewayPort}/_gateway/portal as demo@example.com / demo-password`,
  );
}

const defaults: Record<string, string> = {
  ADMIN_TOKEN: DEV_ADMIN_TOKEN,
  GATEWAY_ROUTES: JSON.stringify([
    { path: "/demo/*", upstream: upstream.url, stripPrefix: true, headers: { "x-demo-upstream-token": "${DEMO_UPSTREAM_TOKEN}" } },
    { path: "/public/*", upstream: upstream.url, stripPrefix: true, auth: "none", rateLimits: [{ name: "anon", limit: 30, window: 60 }] },
  ]),
  DEMO_UPSTREAM_TOKEN: "demo-upstream-secret",
  ...(provider && {
    OIDC_ISSUER: provider.issuer,
    OIDC_CLIENT_ID: DEV_OIDC_CLIENT.clientId,
    OIDC_CLIENT_SECRET: DEV_OIDC_CLIENT.clientSecret,
  }),
  PORTAL_DEFAULT_PLAN: DEV_PLAN.name,
};
const varArgs = Object.entries(defaults).flatMap(([name, value]) => (userVars.has(name) ? [] : ["--var", `${name}:${value}`]));

const wrangler = spawn("wrangler", ["dev", ...varArgs, ...userArgs], { cwd: ROOT, stdio: "inherit", env });
const stop = () => wrangler.kill("SIGINT");
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
wrangler.on("exit", async (code) => {
  await Promise.all([upstream.close(), provider?.close()]);
  process.exit(code ?? 0);
});

/** Creates the dev plan once the gateway answers (a plan of that name from an earlier run is kept). */
async function seedDevPlan(): Promise<void> {
  if (userVars.has("ADMIN_TOKEN") || userVars.has("PORTAL_DEFAULT_PLAN")) return;
  const base = `http://127.0.0.1:${gatewayPort}/_gateway`;
  for (let attempt = 0; attempt < 120; attempt++) {
    const health = await fetch(`${base}/health`).catch(() => undefined);
    if (health?.ok) {
      const response = await fetch(`${base}/admin/plans`, {
        method: "POST",
        headers: { authorization: `Bearer ${DEV_ADMIN_TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify(DEV_PLAN),
      });
      if (response.status === 201) console.log(`plan "${DEV_PLAN.name}" created for new portal customers`);
      else if (response.status !== 409) console.warn(`could not create the dev plan: ${response.status} ${await response.text()}`);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
void seedDevPlan();
