// Builds the gateway's config from vars and secrets (docs/configuration.md): validates them, resolves `${SECRET}` in route
// headers, compiles the routes, and reports every problem by field; built once per isolate.
import { type BillingExportSettings, STRIPE_DEFAULT_URL } from "../billing/events";
import { describeIssues } from "./describe-issues";
import { compileRoute, type Route, Router } from "./routes";
import { type Settings, settingsSchema } from "./schema";

export type CredentialSource =
  | { kind: "authorization"; scheme: string }
  | { kind: "header"; name: string }
  | { kind: "query"; name: string };

export interface GatewayConfig {
  keyPrefix: string;
  realm: string;
  credentialSources: CredentialSource[];
  keyCache: { ttlMs: number; maxEntries: number };
  /** How long a Durable Object decision may take before the route's onLimiterError applies. */
  limiterTimeoutMs: number;
  /** How long an isolate may act on what a key's object told it (denial memo, leases); 0 = ask every time. */
  leaseTtlMs: number;
  /** How long a request body may send no bytes before the client gets 408 request_timeout. */
  clientBodyTimeoutMs: number;
  webhookRetryBaseMs: number;
  /** Hosts that serve one page each and nothing else (docs/portal.md § Hosts); unset: every host serves everything. */
  pageHosts: { dashboard: string | undefined; portal: string | undefined };
  /** The customers' portal sign-in; its fields are unset until the operator configures a provider. */
  portal: PortalSettings;
  /** GitHub secret-scanning reports (docs/secret-scanning.md): where its public keys are, and what a report does. */
  secretScanning: { keysUrl: string; leakedKeyAction: "revoke" | "notify" };
  /** IPv6 clients are counted (anonymous limits, failed logins and key lookups) per network of this many bits. */
  ipv6ClientPrefix: number;
  /** Usage export to billing (docs/billing.md); undefined when `BILLING_EXPORT` is unset. */
  billing: BillingExportSettings | undefined;
  routes: Route[];
  router: Router;
}

export interface PortalSettings {
  issuer: string | undefined;
  clientId: string | undefined;
  defaultPlan: string | undefined;
  sessionMaxAgeMs: number;
}

export type ConfigResult = { ok: true; config: GatewayConfig } | { ok: false; detail: string };

const SECRET_REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

function parseCredentialSource(source: string): CredentialSource {
  const [kind, value = ""] = source.split(":", 2) as [string, string];
  if (kind === "authorization") return { kind, scheme: value.toLowerCase() };
  if (kind === "header") return { kind, name: value.toLowerCase() };
  return { kind: "query", name: value };
}

/** Validates vars and secrets into a config; every problem names its field. */
export function buildConfig(env: Record<string, unknown>): ConfigResult {
  const parsed = settingsSchema.safeParse(env);
  if (!parsed.success) return { ok: false, detail: describeIssues(parsed.error) };
  const settings: Settings = parsed.data;

  const problems: string[] = [];
  const routes = settings.GATEWAY_ROUTES.map((route, index) => {
    const field = `GATEWAY_ROUTES[${index}]`;
    const headers = Object.entries(route.headers).map(([name, template]) => {
      const value = template.replace(SECRET_REFERENCE, (_, secret: string) => {
        const resolved = env[secret];
        if (typeof resolved !== "string") {
          problems.push(`${field}.headers.${name}: secret ${secret} is not set`);
          return "";
        }
        return resolved;
      });
      return [name, value] as const;
    });
    if (route.upstream.startsWith("service:")) {
      const binding = route.upstream.slice("service:".length);
      const fetcher = env[binding] as { fetch?: unknown } | undefined;
      if (typeof fetcher?.fetch !== "function") problems.push(`${field}.upstream: no service binding named ${binding}`);
    }
    return compileRoute(route, headers);
  });
  const seen = new Set<string>();
  routes.forEach((route, index) => {
    if (seen.has(route.path)) problems.push(`GATEWAY_ROUTES[${index}].path: duplicate path ${route.path}`);
    if (route.path.startsWith("/_gateway")) problems.push(`GATEWAY_ROUTES[${index}].path: /_gateway/ is reserved`);
    seen.add(route.path);
  });
  const billing = billingSettings(settings, env, problems);
  if (problems.length > 0) return { ok: false, detail: problems.join("; ") };

  return {
    ok: true,
    config: {
      keyPrefix: settings.KEY_PREFIX,
      realm: settings.GATEWAY_REALM,
      credentialSources: settings.CREDENTIAL_SOURCES.map(parseCredentialSource),
      keyCache: { ttlMs: settings.KEY_CACHE_TTL_SECONDS * 1000, maxEntries: settings.KEY_CACHE_MAX_ENTRIES },
      limiterTimeoutMs: settings.LIMITER_TIMEOUT_MS,
      leaseTtlMs: settings.LEASE_TTL_MS,
      clientBodyTimeoutMs: settings.CLIENT_BODY_TIMEOUT_MS,
      webhookRetryBaseMs: settings.WEBHOOK_RETRY_BASE_MS,
      pageHosts: { dashboard: settings.DASHBOARD_HOST, portal: settings.PORTAL_HOST },
      portal: {
        issuer: settings.OIDC_ISSUER,
        clientId: settings.OIDC_CLIENT_ID,
        defaultPlan: settings.PORTAL_DEFAULT_PLAN,
        sessionMaxAgeMs: settings.PORTAL_SESSION_MAX_AGE_SECONDS * 1000,
      },
      secretScanning: { keysUrl: settings.SECRET_SCANNING_KEYS_URL, leakedKeyAction: settings.LEAKED_KEY_ACTION },
      ipv6ClientPrefix: settings.IPV6_CLIENT_PREFIX,
      billing,
      routes,
      router: new Router(routes),
    },
  };
}

/** The usage export's settings; OpenMeter has no default URL, and both vendors need the token. */
function billingSettings(settings: Settings, env: Record<string, unknown>, problems: string[]): BillingExportSettings | undefined {
  const vendor = settings.BILLING_EXPORT;
  if (!vendor) return undefined;
  const url = settings.BILLING_EXPORT_URL ?? (vendor === "stripe" ? STRIPE_DEFAULT_URL : undefined);
  if (!url) problems.push('BILLING_EXPORT_URL: required with BILLING_EXPORT = "openmeter" (e.g. https://openmeter.cloud/api/v1/events)');
  const token = env.BILLING_EXPORT_TOKEN;
  if (typeof token !== "string" || token === "") problems.push("BILLING_EXPORT_TOKEN: secret is not set (required with BILLING_EXPORT)");
  return { vendor, url: url ?? "", intervalMs: settings.BILLING_EXPORT_INTERVAL_SECONDS * 1000, eventName: settings.BILLING_EVENT_NAME };
}

const built = new WeakMap<object, ConfigResult>();

/** Config is built once per env object (once per isolate in production) and a failure logged once. */
export function loadConfig(env: object): ConfigResult {
  let result = built.get(env);
  if (!result) {
    result = buildConfig(env as Record<string, unknown>);
    if (!result.ok) console.error(`gateway_misconfigured: ${result.detail}`);
    built.set(env, result);
  }
  return result;
}
