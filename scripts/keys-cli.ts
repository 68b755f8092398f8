// The operators' command line for the gateway's admin API, as a function of its arguments and io
// (`runKeys`); scripts/keys.ts runs it as `npm run keys -- <command> [options]`, and the e2e tests
// call it in-process. Talks HTTP only, so it works against `npm run dev` and a deployed gateway alike.
import { readFileSync } from "node:fs";
import { parseArgs, styleText } from "node:util";
import { identityPlanField, PLANS_OPTIONS, PLANS_OPTIONS_USAGE, PLANS_USAGE, runPlans } from "./cli-plans.ts";
import { describeImport, importKeysFile } from "./keys-import.ts";

const HEADER = "Usage: npm run keys -- <command> [options]     npm run keys -- <command> --help for one command";

const OPTION_GROUPS = {
  key: `Key options:
  --name <name>  --owner <owner>  --scope <s> (repeat)  --expires <iso-8601>
  --rate-limit <name>=<limit>/<window-seconds> (repeat, e.g. minute=100/60)
  --route-rate-limit <route-path>:<name>=<limit>/<window-seconds> (repeat, e.g. /v1/search:minute=1000/60)
  --quota <limit>/<day|month|total>  --ip <ip-or-cidr> (repeat)  --metadata '<json>'
  --identity <identity id>   the key shares that identity's limits and quota`,
  identity: `Identity options:
  --external-id <your customer id>  --name <name>  --metadata '<json>'
  --rate-limit <name>=<limit>/<window-seconds> (repeat)  --quota <limit>/<day|month|total>`,
  plan: PLANS_OPTIONS_USAGE,
  webhook: `Webhook options:
  --event <type> (repeat): ${["quota.threshold", "key.rate_limited", "key.expiring", "key.revoked", "key.rotated", "key.leaked"].join(" ")}
  --threshold <percent> (repeat; quota.threshold, default 80 and 100)  --enable | --disable`,
  global: `Global:
  --url <gateway>   default http://localhost:8787 (or GATEWAY_URL)
  --json            print the API's JSON instead of tables
  --help, -h        this help, or one command's;  --version: the CLI's version
  Token: GATEWAY_ADMIN_TOKEN, the admin token or an operator token (default for local dev: dev-admin-token)
  Behind Cloudflare Access: CF_ACCESS_CLIENT_ID and CF_ACCESS_CLIENT_SECRET (a service token) are sent too
  Colour only on a terminal; NO_COLOR=1 turns it off`,
};

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
  version: { type: "boolean" },
  event: { type: "string", multiple: true },
  threshold: { type: "string", multiple: true },
  "webhook-url": { type: "string" },
  "group-by": { type: "string" },
  sort: { type: "string" },
  status: { type: "string" },
  search: { type: "string" },
  "overlap-seconds": { type: "string" },
  ...PLANS_OPTIONS,
} as const;

type Flags = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>["values"];

/** One output stream of the CLI: where its text goes, and whether it is a terminal and takes colour. */
export interface CliStream {
  write(text: string): unknown;
  /** A terminal: the import's progress bar redraws in place. */
  readonly isTTY: boolean;
  readonly colour: boolean;
}

/** Everything the CLI reads from or writes to outside its arguments. */
export interface CliIo {
  stdout: CliStream;
  stderr: CliStream;
  /** GATEWAY_URL, GATEWAY_ADMIN_TOKEN, CF_ACCESS_CLIENT_ID, CF_ACCESS_CLIENT_SECRET. */
  env: Readonly<Record<string, string | undefined>>;
}

/** This process's stdout, stderr and environment; colour as Node decides it for each stream (a terminal, FORCE_COLOR, NO_COLOR, TERM). */
export function processIo(): CliIo {
  const stream = (target: NodeJS.WriteStream): CliStream => ({
    write: (text) => target.write(text),
    isTTY: target.isTTY === true,
    colour: styleText("red", "x", { stream: target }) !== "x",
  });
  return { stdout: stream(process.stdout), stderr: stream(process.stderr), env: process.env };
}

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
function client(baseUrl: string, token: string, env: CliIo["env"]) {
  // A Cloudflare Access service token, when the admin API is behind Access (docs/deploy.md).
  const access: Record<string, string> =
    env.CF_ACCESS_CLIENT_ID && env.CF_ACCESS_CLIENT_SECRET
      ? { "cf-access-client-id": env.CF_ACCESS_CLIENT_ID, "cf-access-client-secret": env.CF_ACCESS_CLIENT_SECRET }
      : {};
  return async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const url = `${baseUrl.replace(/\/+$/, "")}/_gateway/admin${path}`;
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: { ...access, authorization: `Bearer ${token}`, ...(body !== undefined && { "content-type": "application/json" }) },
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

/**
 * Per-route limits naming a path no configured route has apply to no request: one warning line
 * each on stderr (the write stands). Silent when the routes cannot be read (an older gateway, a
 * token without keys:read).
 */
async function warnUnknownRoutes(routeLimits: unknown, { request, stderr }: Cli): Promise<void> {
  if (!routeLimits || typeof routeLimits !== "object") return;
  const paths = Object.keys(routeLimits);
  if (paths.length === 0) return;
  let configured: string[];
  try {
    configured = (await request<{ items: { path: string }[] }>("GET", "/routes")).items.map((route) => route.path);
  } catch {
    return;
  }
  for (const path of paths.filter((p) => !configured.includes(p)))
    stderr.write(
      `${painter(stderr)("yellow", "warning:")} no route has path ${path}, so its limits apply to no request (routes: ${configured.join(" ") || "none"})\n`,
    );
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

type Paint = (format: Parameters<typeof styleText>[0], text: string) => string;

/** Colour only where it shows: plain text unless the stream takes colour (processIo decides). */
const painter =
  (stream: CliStream): Paint =>
  (format, text) =>
    stream.colour ? styleText(format, text, { validateStream: false }) : text;

const STATUS_COLOUR: Record<string, Parameters<typeof styleText>[0]> = {
  active: "green",
  delivered: "green",
  disabled: "yellow",
  pending: "yellow",
  expired: "yellow",
  revoked: "red",
  failed: "red",
};
const coloured = (paint: Paint, status: string) => (STATUS_COLOUR[status] ? paint(STATUS_COLOUR[status], status) : status);

function status(key: Key): string {
  if (key.revokedAt) return "revoked";
  if (!key.enabled) return "disabled";
  if (key.expiresAt && Date.parse(key.expiresAt) <= Date.now()) return "expired";
  return "active";
}

function table(paint: Paint, headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  return [paint("bold", line(headers)), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

const orDash = (value: unknown) => (value === null || value === undefined || value === "" ? "-" : String(value));

function describeKey(key: Key, paint: Paint): string {
  const rows: [string, string][] = [
    ["id", key.id],
    ["name", key.name],
    ["owner", orDash(key.owner)],
    ["start", `${key.start}…`],
    ["status", coloured(paint, status(key))],
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

function showSecret(key: Key, paint: Paint): string {
  return `${describeKey(key, paint)}\n\nkey: ${key.key}\nStore it now: the gateway keeps only its hash and will not show it again.`;
}

// ---- commands -----------------------------------------------------------------------------

type Request = ReturnType<typeof client>;

/** What a command works with: the admin API, the paint for stdout, and stderr for warnings and progress. */
interface Cli {
  request: Request;
  paint: Paint;
  stderr: CliStream;
}

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

type Result = { json: unknown; text: string; exitCode?: number };

async function runKeyCommand(command: string, positionals: string[], flags: Flags, cli: Cli): Promise<Result> {
  const { request, paint } = cli;
  switch (command) {
    case "create": {
      if (!flags.name) throw new UsageError("create needs --name");
      const body = keyBody(flags);
      if (flags.prefix !== undefined) body.prefix = flags.prefix;
      const key = await request<Key>("POST", "/keys", body);
      await warnUnknownRoutes(body.routeRateLimits, cli);
      return { json: key, text: showSecret(key, paint) };
    }
    case "list": {
      const items: Key[] = [];
      let cursor = flags.cursor;
      let next: string | null = null;
      do {
        const page: { items: Key[]; nextCursor: string | null } = await request(
          "GET",
          `/keys${query({ owner: flags.owner, identityId: flags.identity, status: flags.status, q: flags.search, sort: flags.sort, limit: flags.limit, cursor })}`,
        );
        items.push(...page.items);
        next = page.nextCursor;
        cursor = next ?? undefined;
      } while (flags.all && next);
      const rows = items.map((k) => [k.id, k.name, orDash(k.owner), `${k.start}…`, status(k), orDash(k.expiresAt)]);
      const more = next ? `\n\nmore: --cursor ${next} (or --all)` : "";
      return { json: { items, nextCursor: next }, text: table(paint, ["id", "name", "owner", "start", "status", "expires"], rows) + more };
    }
    case "get": {
      const key = await request<Key>("GET", `/keys/${idArgument(positionals, command)}`);
      return { json: key, text: describeKey(key, paint) };
    }
    case "update": {
      const id = idArgument(positionals, command);
      if (flags.prefix !== undefined) throw new UsageError("a key's prefix cannot change; rotate or create a new key");
      const body = keyBody(flags);
      if (Object.keys(body).length === 0) throw new UsageError("update needs at least one field to change");
      const key = await request<Key>("PATCH", `/keys/${id}`, body);
      await warnUnknownRoutes(body.routeRateLimits, cli);
      return { json: key, text: describeKey(key, paint) };
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
      return { json: key, text: showSecret(key, paint) + note };
    }
    case "usage":
      if (flags.all || positionals.length === 0) return allKeysUsage(flags, cli);
      return usageOf(`/keys/${idArgument(positionals, command)}`, flags, cli);
    case "limits": {
      const limits: KeyLimits = await request("GET", `/keys/${idArgument(positionals, command)}/limits`);
      return { json: limits, text: describeLimits(limits, paint) };
    }
    case "audit": {
      const page: {
        items: { at: string; action: string; keyId: string | null; actor: string; changes: Record<string, unknown> }[];
        nextCursor: string | null;
      } = await request("GET", `/audit${query({ keyId: flags.key, actor: flags.actor, limit: flags.limit, cursor: flags.cursor })}`);
      const rows = page.items.map((e) => [e.at, e.action, orDash(e.keyId), e.actor, JSON.stringify(e.changes)]);
      const more = page.nextCursor ? `\n\nmore: --cursor ${page.nextCursor}` : "";
      return { json: page, text: table(paint, ["at", "action", "key", "actor", "changes"], rows) + more };
    }
    case "import": {
      const file = positionals[0];
      if (!file) throw new UsageError("import needs a JSONL file");
      const summary = await importKeysFile(file, flags.prefix, (body) => request("POST", "/keys/import", body), cli.stderr);
      // Lines left out are a failure for scripts, though the rest went in.
      return { json: summary, text: describeImport(summary), exitCode: summary.invalid.length > 0 ? 1 : 0 };
    }
    default:
      throw new UsageError(`unknown command ${command}`);
  }
}

interface KeyLimits {
  state: string;
  rateLimits: { name: string; limit: number; window: number; remaining: number; reset: number }[];
  quota: { limit: number; period: string; used: number; remaining: number; reset: number | null } | null;
}

function describeLimits(limits: KeyLimits, paint: Paint): string {
  const rows = limits.rateLimits.map((l) => [l.name, `${l.limit} per ${l.window}s`, String(l.remaining), `${l.reset}s`]);
  if (limits.quota) {
    const q = limits.quota;
    rows.push(["quota", `${q.limit} per ${q.period}`, String(q.remaining), q.reset === null ? "-" : `${q.reset}s`]);
  }
  const state = `state  ${limits.state === "allowed" ? paint("green", "allowed") : paint("red", limits.state)}`;
  return rows.length ? `${state}\n\n${table(paint, ["limit", "policy", "remaining", "reset"], rows)}` : `${state}\nno limits`;
}

type ReportCounts = { allowed: number; rateLimited: number; quotaExceeded: number; unauthorized?: number };

/** All keys' usage in one call (GET /admin/usage), grouped by key, route, outcome or identity; 401s in their own column. */
async function allKeysUsage(flags: Flags, { request, paint }: Cli): Promise<Result> {
  const report: {
    groupBy: string;
    groups: { group: string; name?: string | null; total: ReportCounts }[];
    totals: ReportCounts[];
    otherGroups: number;
  } = await request(
    "GET",
    `/usage${query({ from: flags.from, to: flags.to, granularity: flags.granularity, groupBy: flags["group-by"] ?? "key", limit: flags.limit })}`,
  );
  // 401s (counted by route, never for a key): an older gateway's report has no such field.
  const columns = (c: ReportCounts) => [c.allowed, c.rateLimited, c.quotaExceeded, c.unauthorized ?? 0];
  const rows = report.groups.map((g) => [g.group, orDash(g.name), ...columns(g.total).map(String)]);
  const total = report.totals.reduce((sum, b) => columns(b).map((n, i) => n + sum[i]!), [0, 0, 0, 0]);
  rows.push(["total", "", ...total.map(String)]);
  const more = report.otherGroups ? `\n\n${report.otherGroups} more groups counted in the total (--limit up to 100)` : "";
  return {
    json: report,
    text: table(paint, [report.groupBy, "name", "allowed", "rate_limited", "quota_exceeded", "unauthorized"], rows) + more,
  };
}

/** A key's or an identity's usage over time (`path`: the key's or identity's admin path). */
async function usageOf(path: string, flags: Flags, { request, paint }: Cli): Promise<Result> {
  const usage: { buckets: { start: string; allowed: number; rateLimited: number; quotaExceeded: number }[] } = await request(
    "GET",
    `${path}/usage${query({ from: flags.from, to: flags.to, granularity: flags.granularity })}`,
  );
  const rows = usage.buckets.map((b) => [b.start, String(b.allowed), String(b.rateLimited), String(b.quotaExceeded)]);
  const total = usage.buckets.reduce((sum, b) => [sum[0]! + b.allowed, sum[1]! + b.rateLimited, sum[2]! + b.quotaExceeded], [0, 0, 0]);
  rows.push(["total", ...total.map(String)]);
  return { json: usage, text: table(paint, ["start", "allowed", "rate_limited", "quota_exceeded"], rows) };
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

function describeIdentity(identity: Identity, paint: Paint): string {
  const rows: [string, string][] = [
    ["id", identity.id],
    ["external id", identity.externalId],
    ["name", orDash(identity.name)],
    ["status", coloured(paint, identity.enabled ? "active" : "disabled")],
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

async function runIdentities(positionals: string[], flags: Flags, cli: Cli): Promise<Result> {
  const { request, paint } = cli;
  const [subcommand, rawId] = positionals;
  const id = () => {
    if (!rawId) throw new UsageError(`identities ${subcommand} needs an identity id`);
    return encodeURIComponent(rawId);
  };
  switch (subcommand) {
    case "create": {
      if (!flags["external-id"]) throw new UsageError("identities create needs --external-id");
      const identity = await request<Identity>("POST", "/identities", identityBody(flags));
      return { json: identity, text: describeIdentity(identity, paint) };
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
      return { json: { items, nextCursor: next }, text: table(paint, ["id", "external id", "name", "status"], rows) + more };
    }
    case "get": {
      const identity = await request<Identity>("GET", `/identities/${id()}`);
      return { json: identity, text: describeIdentity(identity, paint) };
    }
    case "update": {
      const body = identityBody(flags);
      if (Object.keys(body).length === 0) throw new UsageError("identities update needs at least one field to change");
      const identity = await request<Identity>("PATCH", `/identities/${id()}`, body);
      return { json: identity, text: describeIdentity(identity, paint) };
    }
    case "delete": {
      await request("DELETE", `/identities/${id()}`);
      return { json: { id: rawId, deleted: true }, text: `deleted ${rawId}` };
    }
    case "usage":
      return usageOf(`/identities/${id()}`, flags, cli);
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

async function runOperators(positionals: string[], flags: Flags, { request, paint }: Cli): Promise<Result> {
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
      return { json: { items, nextCursor: next }, text: table(paint, ["id", "name", "start", "scopes", "status", "created"], rows) + more };
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

// ---- webhooks -----------------------------------------------------------------------------

interface Webhook {
  id: string;
  url: string;
  events: string[];
  thresholds: number[];
  enabled: boolean;
  createdAt: string;
  updatedAt: string;
  secret?: string;
}

interface Delivery {
  id: string;
  type: string;
  status: string;
  queuedAt: string;
  nextAttemptAt: string | null;
  attempts: { at: string; status: number | null; error: string | null; durationMs: number }[];
}

function describeWebhook(webhook: Webhook, paint: Paint): string {
  const rows: [string, string][] = [
    ["id", webhook.id],
    ["url", webhook.url],
    ["events", webhook.events.join(", ")],
    ["thresholds", webhook.thresholds.map((t) => `${t}%`).join(", ")],
    ["status", coloured(paint, webhook.enabled ? "active" : "disabled")],
    ["created", webhook.createdAt],
    ["updated", webhook.updatedAt],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join("\n");
}

function webhookBody(flags: Flags): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (flags["webhook-url"] !== undefined) body.url = flags["webhook-url"];
  if (flags.event) body.events = flags.event;
  if (flags.threshold) {
    body.thresholds = flags.threshold.map((t) => {
      if (!/^\d+$/.test(t)) throw new UsageError(`--threshold ${t}: a whole percentage, e.g. 80`);
      return Number(t);
    });
  }
  if (flags.enable && flags.disable) throw new UsageError("--enable and --disable together");
  if (flags.enable) body.enabled = true;
  if (flags.disable) body.enabled = false;
  return body;
}

async function runWebhooks(positionals: string[], flags: Flags, { request, paint }: Cli): Promise<Result> {
  const [subcommand, rawId, deliveryId] = positionals;
  const id = () => {
    if (!rawId) throw new UsageError(`webhooks ${subcommand} needs a webhook id`);
    return encodeURIComponent(rawId);
  };
  switch (subcommand) {
    case "create": {
      if (!rawId) throw new UsageError("webhooks create needs the receiver's URL");
      if (!flags.event) throw new UsageError("webhooks create needs at least one --event");
      const webhook = await request<Webhook>("POST", "/webhooks", { ...webhookBody(flags), url: rawId });
      const text = `${describeWebhook(webhook, paint)}\n\nsigning secret: ${webhook.secret}\nStore it now: the gateway will not show it again.`;
      return { json: webhook, text };
    }
    case "list": {
      const items: Webhook[] = [];
      let cursor = flags.cursor;
      let next: string | null = null;
      do {
        const page: { items: Webhook[]; nextCursor: string | null } = await request(
          "GET",
          `/webhooks${query({ limit: flags.limit, cursor })}`,
        );
        items.push(...page.items);
        next = page.nextCursor ?? null;
        cursor = next ?? undefined;
      } while (flags.all && next);
      const rows = items.map((w) => [w.id, w.url, w.events.join(","), w.enabled ? "active" : "disabled"]);
      const more = next ? `\n\nmore: --cursor ${next} (or --all)` : "";
      return { json: { items, nextCursor: next }, text: table(paint, ["id", "url", "events", "status"], rows) + more };
    }
    case "get": {
      const webhook = await request<Webhook>("GET", `/webhooks/${id()}`);
      return { json: webhook, text: describeWebhook(webhook, paint) };
    }
    case "update": {
      const body = webhookBody(flags);
      if (Object.keys(body).length === 0) throw new UsageError("webhooks update needs at least one field to change");
      const webhook = await request<Webhook>("PATCH", `/webhooks/${id()}`, body);
      return { json: webhook, text: describeWebhook(webhook, paint) };
    }
    case "delete": {
      await request("DELETE", `/webhooks/${id()}`);
      return { json: { id: rawId, deleted: true }, text: `deleted ${rawId}` };
    }
    case "deliveries": {
      const page: { items: Delivery[]; nextCursor: string | null } = await request(
        "GET",
        `/webhooks/${id()}/deliveries${query({ limit: flags.limit, cursor: flags.cursor })}`,
      );
      const rows = page.items.map((d) => {
        const last = d.attempts.at(-1);
        const answer = last ? (last.status === null ? orDash(last.error) : String(last.status)) : "-";
        return [d.id, d.type, d.status, String(d.attempts.length), answer, d.queuedAt];
      });
      const more = page.nextCursor ? `\n\nmore: --cursor ${page.nextCursor}` : "";
      return { json: page, text: table(paint, ["id", "type", "status", "attempts", "last answer", "queued"], rows) + more };
    }
    case "resend": {
      if (!deliveryId) throw new UsageError("webhooks resend needs a webhook id and a delivery id");
      const delivery = await request<Delivery>("POST", `/webhooks/${id()}/deliveries/${encodeURIComponent(deliveryId)}/resend`);
      return { json: delivery, text: `queued ${delivery.id} again (${delivery.type})` };
    }
    case "test": {
      const delivery = await request<Delivery>("POST", `/webhooks/${id()}/test`);
      return { json: delivery, text: `queued a webhook.test message: ${delivery.id} (webhooks deliveries ${rawId} shows its attempts)` };
    }
    case "rotate-secret": {
      const overlap = flags["overlap-seconds"];
      if (overlap !== undefined && !/^\d+$/.test(overlap)) throw new UsageError("--overlap-seconds takes a whole number of seconds");
      const rotated = await request<{ secret: string }>(
        "POST",
        `/webhooks/${id()}/rotate-secret`,
        overlap === undefined ? undefined : { overlapSeconds: Number(overlap) },
      );
      return { json: rotated, text: `new signing secret (shown once): ${rotated.secret}` };
    }
    default:
      throw new UsageError(
        subcommand
          ? `unknown webhooks command ${subcommand}`
          : "webhooks needs create, list, get, update, delete, test, rotate-secret, deliveries or resend",
      );
  }
}

// ---- the command table --------------------------------------------------------------------

/** One top-level command: its lines in the help, the option groups it takes, and what it does. */
interface Command {
  help: string;
  options?: (keyof typeof OPTION_GROUPS)[];
  run: (positionals: string[], flags: Flags, cli: Cli) => Promise<Result>;
}

const keyCommand =
  (name: string): Command["run"] =>
  (positionals, flags, cli) =>
    runKeyCommand(name, positionals, flags, cli);

/** Every command. A new one (or group, like `operators`) is one entry here; its options go in OPTIONS. */
const COMMANDS: Record<string, Command> = {
  create: {
    help: "create --name <name> [key options] [--prefix <p>]   create a key (prints the plaintext once)",
    options: ["key"],
    run: keyCommand("create"),
  },
  list: {
    help: `list [--owner <o>] [--identity <id>] [--status active|disabled|expired|revoked] [--search <text>]
     [--sort createdAt|name|expiresAt|lastUsedAt] [--limit <n>] [--cursor <c>] [--all]
                                      --sort=-createdAt: newest first (a leading - sorts descending)`,
    run: keyCommand("list"),
  },
  get: { help: "get <id>", run: keyCommand("get") },
  update: {
    help: "update <id> [key options] [--enable|--disable] [--no-owner] [--no-expiry] [--no-quota] [--no-identity]",
    options: ["key"],
    run: keyCommand("update"),
  },
  revoke: { help: "revoke <id>", run: keyCommand("revoke") },
  rotate: { help: "rotate <id> [--grace <seconds>]   new secret; the old one lives <seconds> more (default 0)", run: keyCommand("rotate") },
  limits: { help: "limits <id>   the key's limits and quota now: what is left and when it resets", run: keyCommand("limits") },
  usage: {
    help: `usage <id> [--from <iso>] [--to <iso>] [--granularity hour|day]   one key's usage
usage [--all] [--group-by key|route|outcome|identity] [--limit <n>] [--from <iso>] [--to <iso>] [--granularity hour|day]
                                                     all keys' usage`,
    run: keyCommand("usage"),
  },
  import: {
    help: `import <file.jsonl> [--prefix <p>]   import existing keys, one {key|hash, name, …} per line;
                                      --prefix: the shape they share (none: no prefix); exits 1 if a line was invalid`,
    run: keyCommand("import"),
  },
  audit: { help: "audit [--key <id>] [--actor <operator id|admin>] [--limit <n>] [--cursor <c>]", run: keyCommand("audit") },
  operators: {
    help: `operators create --name <name> --scope <s> (repeat)   create an operator token (prints it once)
operators list [--limit <n>] [--cursor <c>] [--all]
operators revoke <id>
  Operator scopes: keys:read keys:write keys:verify usage:read operators:write`,
    run: runOperators,
  },
  identities: {
    help: `identities create --external-id <id> [identity options]   a customer whose keys share its limits
identities list [--external-id <id>] [--limit <n>] [--cursor <c>] [--all]
identities get <id>
identities update <id> [identity options] [--enable|--disable] [--no-name] [--no-quota]
identities delete <id>   only once none of its keys is live
identities usage <id> [--from <iso>] [--to <iso>] [--granularity hour|day]`,
    options: ["identity", "plan"],
    run: runIdentities,
  },
  plans: {
    help: PLANS_USAGE.replace(/^ {2}/gm, ""),
    options: ["plan"],
    run: (positionals, flags, { request, paint }) =>
      runPlans(positionals, flags, {
        request,
        rateLimit,
        quota,
        table: (headers, rows) => table(paint, headers, rows),
        orDash,
        query,
        usageError: (m) => new UsageError(m),
      }),
  },
  webhooks: {
    help: `webhooks create <receiver url> --event <type> (repeat) [webhook options]   prints the signing secret once
webhooks list [--limit <n>] [--cursor <c>] [--all]
webhooks get <id>
webhooks update <id> [--webhook-url <url>] [webhook options]
webhooks delete <id>
webhooks test <id>   queues a signed webhook.test message to the receiver
webhooks rotate-secret <id> [--overlap-seconds <n>]   prints the new signing secret once; both sign meanwhile
webhooks deliveries <id> [--limit <n>] [--cursor <c>]   recent deliveries and their attempts
webhooks resend <id> <delivery id>`,
    options: ["webhook"],
    run: runWebhooks,
  },
};

/** The command of that name; never one of Object's own properties (`constructor`, …). */
const commandNamed = (name: string): Command | undefined => (Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined);

const indent = (text: string) => text.replace(/^/gm, "  ");

function fullHelp(): string {
  const groups = Object.values(OPTION_GROUPS).join("\n\n");
  return `${HEADER}\n\nCommands:\n${Object.values(COMMANDS)
    .map((c) => indent(c.help))
    .join("\n")}\n\n${groups}`;
}

function commandHelp(name: string, command: Command): string {
  const groups = [...(command.options ?? []), "global" as const].map((group) => OPTION_GROUPS[group]).join("\n\n");
  return `Usage: npm run keys -- ${name} …\n\n${indent(command.help)}\n\n${groups}`;
}

function version(): string {
  const manifest = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };
  return manifest.version;
}

/** A mistake in the command line: one line, and where the help is. */
function usageError(stderr: CliStream, message: string, command?: string): number {
  const help = command && commandNamed(command) ? `npm run keys -- ${command} --help` : "npm run keys -- help";
  stderr.write(`${painter(stderr)("red", "error:")} ${message} (${help})\n`);
  return 2;
}

/** Runs one command line (arguments after `npm run keys --`) and answers the exit code: 0, 1 (a failure), 2 (a usage mistake). */
export async function runKeys(argv: string[], io: CliIo): Promise<number> {
  const { stdout, stderr, env } = io;
  const print = (text: string) => stdout.write(`${text}\n`);
  let parsed: ReturnType<typeof parseArgs<{ args: string[]; options: typeof OPTIONS; allowPositionals: true; strict: true }>>;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    const command = argv.find((arg) => Object.hasOwn(COMMANDS, arg));
    return usageError(stderr, (error as Error).message.split("\n")[0]!.replace(/\. To specify a positional argument.*$/, ""), command);
  }
  const { values: flags, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (flags.version) {
    print(version());
    return 0;
  }
  if (command === "help" || (!command && flags.help)) {
    const topic = rest[0] ? commandNamed(rest[0]) : undefined;
    if (rest[0] && !topic) return usageError(stderr, `no command ${rest[0]}`);
    print(topic && rest[0] ? commandHelp(rest[0], topic) : fullHelp());
    return 0;
  }
  if (!command) return usageError(stderr, "give a command, e.g. npm run keys -- list");
  const entry = commandNamed(command);
  if (!entry) return usageError(stderr, `unknown command ${command}`);
  if (flags.help) {
    print(commandHelp(command, entry));
    return 0;
  }
  const baseUrl = flags.url ?? env.GATEWAY_URL ?? "http://localhost:8787";
  const token = env.GATEWAY_ADMIN_TOKEN ?? "dev-admin-token";
  try {
    const result = await entry.run(rest, flags, { request: client(baseUrl, token, env), paint: painter(stdout), stderr });
    print(flags.json ? JSON.stringify(result.json, null, 2) : result.text);
    return result.exitCode ?? 0;
  } catch (error) {
    if (error instanceof UsageError) return usageError(stderr, error.message, command);
    if (error instanceof ApiError && flags.json) stderr.write(`${JSON.stringify(error.problem, null, 2)}\n`);
    else stderr.write(`${painter(stderr)("red", "error:")} ${(error as Error).message}\n`);
    return 1;
  }
}
