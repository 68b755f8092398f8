// Operators' command line for the gateway's admin API: `npm run keys -- <command> [options]`.
// Runs on Node 22 directly (type stripping); talks HTTP only, so it works against `npm run dev`
// and a deployed gateway alike.
import { parseArgs } from "node:util";
import { identityPlanField, PLANS_OPTIONS, PLANS_OPTIONS_USAGE, PLANS_USAGE, runPlans } from "./cli-plans.ts";
import { describeImport, importKeysFile } from "./keys-import.ts";

const USAGE = `Usage: npm run keys -- <command> [options]

Commands:
  create --name <name> [key options] [--prefix <p>]   create a key (prints the plaintext once)
  list [--owner <o>] [--identity <id>] [--limit <n>] [--cursor <c>] [--all]
  get <id>
  update <id> [key options] [--enable|--disable] [--no-owner] [--no-expiry] [--no-quota] [--no-identity]
  revoke <id>
  rotate <id> [--grace <seconds>]                      new secret; old one lives <seconds> more (default 0)
  usage <id> [--from <iso>] [--to <iso>] [--granularity hour|day]
  import <file.jsonl> [--prefix <p>]                  import existing keys, one {key|hash, name, …} per line;
                                                       --prefix: the shape they share (none: no prefix)
  audit [--key <id>] [--actor <operator id|admin>] [--limit <n>] [--cursor <c>]
  operators create --name <name> --scope <s> (repeat)   create an operator token (prints it once)
  operators list [--limit <n>] [--cursor <c>] [--all]
  operators revoke <id>
  identities create --external-id <id> [identity options]   a customer whose keys share its limits
  identities list [--external-id <id>] [--limit <n>] [--cursor <c>] [--all]
  identities get <id>
  identities update <id> [identity options] [--enable|--disable] [--no-name] [--no-quota]
  identities delete <id>                               only once none of its keys is live
  identities usage <id> [--from <iso>] [--to <iso>] [--granularity hour|day]
${PLANS_USAGE}

Operator scopes: keys:read keys:write keys:verify usage:read operators:write

Key options:
  --name <name>  --owner <owner>  --scope <s> (repeat)  --expires <iso-8601>
  --rate-limit <name>=<limit>/<window-seconds> (repeat, e.g. minute=100/60)
  --route-rate-limit <route-path>:<name>=<limit>/<window-seconds> (repeat, e.g. /v1/search:minute=1000/60)
  --quota <limit>/<day|month|total>  --ip <ip-or-cidr> (repeat)  --metadata '<json>'
  --identity <identity id>   the key shares that identity's limits and quota

Identity options:
  --external-id <your customer id>  --name <name>  --metadata '<json>'
  --rate-limit <name>=<limit>/<window-seconds> (repeat)  --quota <limit>/<day|month|total>

${PLANS_OPTIONS_USAGE}

Global:
  --url <gateway>   default http://localhost:8787 (or GATEWAY_URL)
  --json            print the API's JSON instead of tables
  Token: GATEWAY_ADMIN_TOKEN, the admin token or an operator token (default for local dev: dev-admin-token)`;

const OPTIONS = {
  url: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
  name: { type: "string" },
  owner: { type: "string" },
  prefix: { type: "string" },
  scope: { type: "string", multiple: true },
  expires: { type: "string" },
  "rate-limit": { type: "string", multiple: true },
  "route-rate-limit": { type: "string", multiple: true },
  quota: { type: "string" },
  ip: { type: "string", multiple: true },
  metadata: { type: "string" },
  enable: { type: "boolean" },
  disable: { type: "boolean" },
  "no-owner": { type: "boolean" },
  "no-expiry": { type: "boolean" },
  "no-quota": { type: "boolean" },
  limit: { type: "string" },
  cursor: { type: "string" },
  all: { type: "boolean" },
  grace: { type: "string" },
  from: { type: "string" },
  to: { type: "string" },
  granularity: { type: "string" },
  key: { type: "string" },
  actor: { type: "string" },
  identity: { type: "string" },
  "no-identity": { type: "boolean" },
  "external-id": { type: "string" },
  "no-name": { type: "boolean" },
  ...PLANS_OPTIONS,
} as const;

type Flags = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>["values"];

class UsageError extends Error {}

interface Problem {
  title?: string;
  detail?: string;
  code?: string;
  status?: number;
}

class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem;

  constructor(status: number, problem: Problem) {
    super(`${problem.code ?? status}: ${problem.detail ?? problem.title ?? "request failed"}`);
    this.status = status;
    this.problem = problem;
  }
}

/** The admin API over fetch; problem+json answers become ApiErrors. */
function client(baseUrl: string, token: string) {
  return async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const url = `${baseUrl.replace(/\/+$/, "")}/_gateway/admin${path}`;
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body !== undefined && { "content-type": "application/json" }) },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
    } catch (error) {
      throw new Error(
        `cannot reach the gateway at ${baseUrl} (${(error as Error).cause ?? (error as Error).message}); is it running? (--url)`,
      );
    }
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    const parsed: unknown = text ? JSON.parse(text) : undefined;
    if (!response.ok) throw new ApiError(response.status, (parsed ?? {}) as Problem);
    return parsed as T;
  };
}

function rateLimit(spec: string) {
  const match = /^([A-Za-z0-9_.-]+)=(\d+)\/(\d+)$/.exec(spec);
  if (!match) throw new UsageError(`--rate-limit ${spec}: use <name>=<limit>/<window-seconds>, e.g. minute=100/60`);
  return { name: match[1], limit: Number(match[2]), window: Number(match[3]) };
}

/** `/v1/search:minute=1000/60` flags, grouped by route path (a limit name holds no `:`). */
function routeRateLimits(specs: string[]) {
  const routes: Record<string, ReturnType<typeof rateLimit>[]> = {};
  for (const spec of specs) {
    const colon = spec.lastIndexOf(":");
    if (colon < 1)
      throw new UsageError(`--route-rate-limit ${spec}: use <route-path>:<name>=<limit>/<window-seconds>, e.g. /v1/search:minute=1000/60`);
    const path = spec.slice(0, colon);
    routes[path] = [...(routes[path] ?? []), rateLimit(spec.slice(colon + 1))];
  }
  return routes;
}

function quota(spec: string) {
  const match = /^(\d+)\/(day|month|total)$/.exec(spec);
  if (!match) throw new UsageError(`--quota ${spec}: use <limit>/<day|month|total>, e.g. 10000/month`);
  return { limit: Number(match[1]), period: match[2] };
}

/** The fields keys and identities share, as the API names them. */
function limitsBody(flags: Flags): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (flags.name !== undefined) body.name = flags.name;
  if (flags["rate-limit"]) body.rateLimits = flags["rate-limit"].map(rateLimit);
  if (flags["route-rate-limit"]) body.routeRateLimits = routeRateLimits(flags["route-rate-limit"]);
  if (flags.quota !== undefined) body.quota = quota(flags.quota);
  if (flags["no-quota"]) body.quota = null;
  if (flags.metadata !== undefined) {
    try {
      body.metadata = JSON.parse(flags.metadata);
    } catch {
      throw new UsageError("--metadata: not valid JSON");
    }
  }
  if (flags.enable && flags.disable) throw new UsageError("--enable and --disable together");
  if (flags.enable) body.enabled = true;
  if (flags.disable) body.enabled = false;
  return body;
}

/** The key fields the flags set, as the API names them. */
function keyBody(flags: Flags): Record<string, unknown> {
  const body = limitsBody(flags);
  if (flags.owner !== undefined) body.owner = flags.owner;
  if (flags["no-owner"]) body.owner = null;
  if (flags.scope) body.scopes = flags.scope;
  if (flags.expires !== undefined) body.expiresAt = flags.expires;
  if (flags["no-expiry"]) body.expiresAt = null;
  if (flags.ip) body.ipAllowlist = flags.ip;
  if (flags.identity !== undefined) body.identityId = flags.identity;
  if (flags["no-identity"]) body.identityId = null;
  return body;
}

/** The identity fields the flags set, as the API names them. */
function identityBody(flags: Flags): Record<string, unknown> {
  const body = limitsBody(flags);
  if (flags["external-id"] !== undefined) body.externalId = flags["external-id"];
  if (flags["no-name"]) body.name = null;
  return { ...body, ...identityPlanField(flags) };
}

// ---- output -------------------------------------------------------------------------------

interface Key {
  id: string;
  name: string;
  owner: string | null;
  start: string;
  scopes: string[];
  rateLimits: { name: string; limit: number; window: number }[];
  quota: { limit: number; period: string } | null;
  ipAllowlist: string[];
  metadata: Record<string, unknown>;
  enabled: boolean;
  expiresAt: string | null;
  createdAt: string;
  updatedAt: string;
  revokedAt: string | null;
  lastUsedAt: string | null;
  identityId: string | null;
  key?: string;
}

function status(key: Key): string {
  if (key.revokedAt) return "revoked";
  if (!key.enabled) return "disabled";
  if (key.expiresAt && Date.parse(key.expiresAt) <= Date.now()) return "expired";
  return "active";
}

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  return [line(headers), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

const orDash = (value: unknown) => (value === null || value === undefined || value === "" ? "-" : String(value));

function describeKey(key: Key): string {
  const rows: [string, string][] = [
    ["id", key.id],
    ["name", key.name],
    ["owner", orDash(key.owner)],
    ["start", `${key.start}…`],
    ["status", status(key)],
    ["scopes", key.scopes.join(", ") || "-"],
    ["rate limits", key.rateLimits.map((l) => `${l.name}: ${l.limit} per ${l.window}s`).join(", ") || "-"],
    ["quota", key.quota ? `${key.quota.limit} per ${key.quota.period}` : "-"],
    ["identity", orDash(key.identityId)],
    ["ip allowlist", key.ipAllowlist.join(", ") || "any"],
    ["metadata", Object.keys(key.metadata).length ? JSON.stringify(key.metadata) : "-"],
    ["expires", orDash(key.expiresAt)],
    ["created", key.createdAt],
    ["updated", key.updatedAt],
    ["revoked", orDash(key.revokedAt)],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join("\n");
}

function showSecret(key: Key): string {
  return `${describeKey(key)}\n\nkey: ${key.key}\nStore it now: the gateway keeps only its hash and will not show it again.`;
}

// ---- commands -----------------------------------------------------------------------------

type Request = ReturnType<typeof client>;

function idArgument(positionals: string[], command: string): string {
  const id = positionals[0];
  if (!id) throw new UsageError(`${command} needs a key id`);
  return encodeURIComponent(id);
}

function query(params: Record<string, string | undefined>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined) search.set(name, value);
  const text = search.toString();
  return text ? `?${text}` : "";
}

async function run(command: string, positionals: string[], flags: Flags, request: Request): Promise<{ json: unknown; text: string }> {
  switch (command) {
    case "create": {
      if (!flags.name) throw new UsageError("create needs --name");
      const body = keyBody(flags);
      if (flags.prefix !== undefined) body.prefix = flags.prefix;
      const key = await request<Key>("POST", "/keys", body);
      return { json: key, text: showSecret(key) };
    }
    case "list": {
      const items: Key[] = [];
      let cursor = flags.cursor;
      let next: string | null = null;
      do {
        const page: { items: Key[]; nextCursor: string | null } = await request(
          "GET",
          `/keys${query({ owner: flags.owner, identityId: flags.identity, limit: flags.limit, cursor })}`,
        );
        items.push(...page.items);
        next = page.nextCursor;
        cursor = next ?? undefined;
      } while (flags.all && next);
      const rows = items.map((k) => [k.id, k.name, orDash(k.owner), `${k.start}…`, status(k), orDash(k.expiresAt)]);
      const more = next ? `\n\nmore: --cursor ${next} (or --all)` : "";
      return { json: { items, nextCursor: next }, text: table(["id", "name", "owner", "start", "status", "expires"], rows) + more };
    }
    case "get": {
      const key = await request<Key>("GET", `/keys/${idArgument(positionals, command)}`);
      return { json: key, text: describeKey(key) };
    }
    case "update": {
      const id = idArgument(positionals, command);
      if (flags.prefix !== undefined) throw new UsageError("a key's prefix cannot change; rotate or create a new key");
      const body = keyBody(flags);
      if (Object.keys(body).length === 0) throw new UsageError("update needs at least one field to change");
      const key = await request<Key>("PATCH", `/keys/${id}`, body);
      return { json: key, text: describeKey(key) };
    }
    case "revoke": {
      const id = idArgument(positionals, command);
      await request("DELETE", `/keys/${id}`);
      return { json: { id: decodeURIComponent(id), revoked: true }, text: `revoked ${decodeURIComponent(id)}` };
    }
    case "rotate": {
      const id = idArgument(positionals, command);
      const grace = flags.grace === undefined ? undefined : Number(flags.grace);
      if (grace !== undefined && !Number.isInteger(grace)) throw new UsageError("--grace: whole seconds");
      const key = await request<Key>("POST", `/keys/${id}/rotate`, grace === undefined ? {} : { gracePeriodSeconds: grace });
      const note = grace ? `\nThe previous secret keeps working for ${grace} s.` : "\nThe previous secret no longer works.";
      return { json: key, text: showSecret(key) + note };
    }
    case "usage":
      return usageOf(`/keys/${idArgument(positionals, command)}`, flags, request);
    case "audit": {
      const page: {
        items: { at: string; action: string; keyId: string | null; actor: string; changes: Record<string, unknown> }[];
        nextCursor: string | null;
      } = await request("GET", `/audit${query({ keyId: flags.key, actor: flags.actor, limit: flags.limit, cursor: flags.cursor })}`);
      const rows = page.items.map((e) => [e.at, e.action, orDash(e.keyId), e.actor, JSON.stringify(e.changes)]);
      const more = page.nextCursor ? `\n\nmore: --cursor ${page.nextCursor}` : "";
      return { json: page, text: table(["at", "action", "key", "actor", "changes"], rows) + more };
    }
    case "import": {
      const file = positionals[0];
      if (!file) throw new UsageError("import needs a JSONL file");
      const summary = await importKeysFile(file, flags.prefix, (body) => request("POST", "/keys/import", body), process.stderr);
      return { json: summary, text: describeImport(summary) };
    }
    case "operators":
      return runOperators(positionals, flags, request);
    case "identities":
      return runIdentities(positionals, flags, request);
    case "plans":
      return runPlans(positionals, flags, { request, rateLimit, quota, table, orDash, query, usageError: (m) => new UsageError(m) });
    default:
      throw new UsageError(`unknown command ${command}`);
  }
}

/** A key's or an identity's usage over time (`path`: the key's or identity's admin path). */
async function usageOf(path: string, flags: Flags, request: Request): Promise<{ json: unknown; text: string }> {
  const usage: { buckets: { start: string; allowed: number; rateLimited: number; quotaExceeded: number }[] } = await request(
    "GET",
    `${path}/usage${query({ from: flags.from, to: flags.to, granularity: flags.granularity })}`,
  );
  const rows = usage.buckets.map((b) => [b.start, String(b.allowed), String(b.rateLimited), String(b.quotaExceeded)]);
  const total = usage.buckets.reduce((sum, b) => [sum[0]! + b.allowed, sum[1]! + b.rateLimited, sum[2]! + b.quotaExceeded], [0, 0, 0]);
  rows.push(["total", ...total.map(String)]);
  return { json: usage, text: table(["start", "allowed", "rate_limited", "quota_exceeded"], rows) };
}

// ---- identities ---------------------------------------------------------------------------

interface Identity {
  id: string;
  externalId: string;
  name: string | null;
  metadata: Record<string, unknown>;
  enabled: boolean;
  rateLimits: { name: string; limit: number; window: number }[];
  quota: { limit: number; period: string } | null;
  planId: string | null;
  createdAt: string;
  updatedAt: string;
}

function describeIdentity(identity: Identity): string {
  const rows: [string, string][] = [
    ["id", identity.id],
    ["external id", identity.externalId],
    ["name", orDash(identity.name)],
    ["status", identity.enabled ? "active" : "disabled"],
    ["rate limits", identity.rateLimits.map((l) => `${l.name}: ${l.limit} per ${l.window}s`).join(", ") || "-"],
    ["quota", identity.quota ? `${identity.quota.limit} per ${identity.quota.period}` : "-"],
    ["plan", orDash(identity.planId)],
    ["metadata", Object.keys(identity.metadata).length ? JSON.stringify(identity.metadata) : "-"],
    ["created", identity.createdAt],
    ["updated", identity.updatedAt],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join("\n");
}

async function runIdentities(positionals: string[], flags: Flags, request: Request): Promise<{ json: unknown; text: string }> {
  const [subcommand, rawId] = positionals;
  const id = () => {
    if (!rawId) throw new UsageError(`identities ${subcommand} needs an identity id`);
    return encodeURIComponent(rawId);
  };
  switch (subcommand) {
    case "create": {
      if (!flags["external-id"]) throw new UsageError("identities create needs --external-id");
      const identity = await request<Identity>("POST", "/identities", identityBody(flags));
      return { json: identity, text: describeIdentity(identity) };
    }
    case "list": {
      const items: Identity[] = [];
      let cursor = flags.cursor;
      let next: string | null = null;
      do {
        const page: { items: Identity[]; nextCursor: string | null } = await request(
          "GET",
          `/identities${query({ externalId: flags["external-id"], limit: flags.limit, cursor })}`,
        );
        items.push(...page.items);
        next = page.nextCursor;
        cursor = next ?? undefined;
      } while (flags.all && next);
      const rows = items.map((i) => [i.id, i.externalId, orDash(i.name), i.enabled ? "active" : "disabled"]);
      const more = next ? `\n\nmore: --cursor ${next} (or --all)` : "";
      return { json: { items, nextCursor: next }, text: table(["id", "external id", "name", "status"], rows) + more };
    }
    case "get": {
      const identity = await request<Identity>("GET", `/identities/${id()}`);
      return { json: identity, text: describeIdentity(identity) };
    }
    case "update": {
      const body = identityBody(flags);
      if (Object.keys(body).length === 0) throw new UsageError("identities update needs at least one field to change");
      const identity = await request<Identity>("PATCH", `/identities/${id()}`, body);
      return { json: identity, text: describeIdentity(identity) };
    }
    case "delete": {
      await request("DELETE", `/identities/${id()}`);
      return { json: { id: rawId, deleted: true }, text: `deleted ${rawId}` };
    }
    case "usage":
      return usageOf(`/identities/${id()}`, flags, request);
    default:
      throw new UsageError(
        subcommand ? `unknown identities command ${subcommand}` : "identities needs create, list, get, update, delete or usage",
      );
  }
}

// ---- operator tokens ----------------------------------------------------------------------

interface Operator {
  id: string;
  name: string;
  scopes: string[];
  start: string;
  createdAt: string;
  revokedAt: string | null;
  token?: string;
}

async function runOperators(positionals: string[], flags: Flags, request: Request): Promise<{ json: unknown; text: string }> {
  const [subcommand, id] = positionals;
  switch (subcommand) {
    case "create": {
      if (!flags.name) throw new UsageError("operators create needs --name");
      if (!flags.scope) throw new UsageError("operators create needs at least one --scope");
      const operator = await request<Operator>("POST", "/operators", { name: flags.name, scopes: flags.scope });
      const text = `${operator.id}  ${operator.name}  ${operator.scopes.join(", ")}\n\ntoken: ${operator.token}\nStore it now: the gateway keeps only its hash and will not show it again.`;
      return { json: operator, text };
    }
    case "list": {
      const items: Operator[] = [];
      let cursor = flags.cursor;
      let next: string | null = null;
      do {
        const page: { items: Operator[]; nextCursor: string | null } = await request(
          "GET",
          `/operators${query({ limit: flags.limit, cursor })}`,
        );
        items.push(...page.items);
        next = page.nextCursor;
        cursor = next ?? undefined;
      } while (flags.all && next);
      const rows = items.map((o) => [o.id, o.name, `${o.start}…`, o.scopes.join(","), o.revokedAt ? "revoked" : "active", o.createdAt]);
      const more = next ? `\n\nmore: --cursor ${next} (or --all)` : "";
      return { json: { items, nextCursor: next }, text: table(["id", "name", "start", "scopes", "status", "created"], rows) + more };
    }
    case "revoke": {
      if (!id) throw new UsageError("operators revoke needs an operator id");
      await request("DELETE", `/operators/${encodeURIComponent(id)}`);
      return { json: { id, revoked: true }, text: `revoked ${id}` };
    }
    default:
      throw new UsageError(subcommand ? `unknown operators command ${subcommand}` : "operators needs create, list or revoke");
  }
}

async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseArgs<{ args: string[]; options: typeof OPTIONS; allowPositionals: true; strict: true }>>;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values: flags, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (flags.help || !command) {
    console.log(USAGE);
    return command || flags.help ? 0 : 2;
  }
  const baseUrl = flags.url ?? process.env.GATEWAY_URL ?? "http://localhost:8787";
  const token = process.env.GATEWAY_ADMIN_TOKEN ?? "dev-admin-token";
  try {
    const result = await run(command, rest, flags, client(baseUrl, token));
    console.log(flags.json ? JSON.stringify(result.json, null, 2) : result.text);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`${error.message}\n\n${USAGE}`);
      return 2;
    }
    if (error instanceof ApiError && flags.json) console.error(JSON.stringify(error.problem, null, 2));
    else console.error(`error: ${(error as Error).message}`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
