// `npm run keys -- plans …` and the identities' `--plan` flag (docs/plans.md): plans as the admin
// API has them. scripts/keys-cli.ts wires this in and lends its request, parsers and table printer.

type Request = <T>(method: string, path: string, body?: unknown) => Promise<T>;

interface RateLimit {
  name: string;
  limit: number;
  window: number;
}

/** What scripts/keys-cli.ts lends: its admin API client, flag parsers, output helpers and usage error. */
export interface CliTools {
  request: Request;
  rateLimit(spec: string): unknown;
  quota(spec: string): unknown;
  table(headers: string[], rows: string[][]): string;
  orDash(value: unknown): string;
  query(params: Record<string, string | undefined>): string;
  usageError(message: string): Error;
}

export const PLANS_USAGE = `  plans create --name <name> [plan options]            a tier of limits, quota, scopes and key count
  plans list [--limit <n>] [--cursor <c>] [--all]
  plans get <id>
  plans update <id> [plan options] [--no-quota] [--no-allowed-scopes] [--no-max-keys]
  plans delete <id>                                    only once no identity is on it`;

export const PLANS_OPTIONS_USAGE = `Plan options:
  --name <name>  --rate-limit <name>=<limit>/<window-seconds> (repeat)  --quota <limit>/<day|month|total>
  --allowed-scope <s> (repeat)   scopes customers may give their keys in the portal
  --max-keys <n>                 live keys a customer may hold
  Identities: --plan <plan id> on identities create/update; --no-plan on update`;

export const PLANS_OPTIONS = {
  "allowed-scope": { type: "string", multiple: true },
  "no-allowed-scopes": { type: "boolean" },
  "max-keys": { type: "string" },
  "no-max-keys": { type: "boolean" },
  plan: { type: "string" },
  "no-plan": { type: "boolean" },
} as const;

interface PlanFlags {
  name?: string | undefined;
  "rate-limit"?: string[] | undefined;
  quota?: string | undefined;
  "no-quota"?: boolean | undefined;
  "allowed-scope"?: string[] | undefined;
  "no-allowed-scopes"?: boolean | undefined;
  "max-keys"?: string | undefined;
  "no-max-keys"?: boolean | undefined;
  plan?: string | undefined;
  "no-plan"?: boolean | undefined;
  limit?: string | undefined;
  cursor?: string | undefined;
  all?: boolean | undefined;
}

interface Plan {
  id: string;
  name: string;
  rateLimits: RateLimit[];
  quota: { limit: number; period: string } | null;
  allowedScopes: string[] | null;
  maxKeys: number | null;
  createdAt: string;
  updatedAt: string;
}

/** The identity fields `--plan`/`--no-plan` set, as the API names them. */
export function identityPlanField(flags: PlanFlags): { planId?: string | null } {
  if (flags.plan !== undefined) return { planId: flags.plan };
  if (flags["no-plan"]) return { planId: null };
  return {};
}

function planBody(flags: PlanFlags, tools: CliTools): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (flags.name !== undefined) body.name = flags.name;
  if (flags["rate-limit"]) body.rateLimits = flags["rate-limit"].map(tools.rateLimit);
  if (flags.quota !== undefined) body.quota = tools.quota(flags.quota);
  if (flags["no-quota"]) body.quota = null;
  if (flags["allowed-scope"]) body.allowedScopes = flags["allowed-scope"];
  if (flags["no-allowed-scopes"]) body.allowedScopes = null;
  if (flags["max-keys"] !== undefined) {
    const maxKeys = Number(flags["max-keys"]);
    if (!Number.isInteger(maxKeys) || maxKeys < 0) throw tools.usageError(`--max-keys ${flags["max-keys"]}: a whole number, 0 or more`);
    body.maxKeys = maxKeys;
  }
  if (flags["no-max-keys"]) body.maxKeys = null;
  return body;
}

const limitsText = (limits: RateLimit[]) => limits.map((l) => `${l.name}: ${l.limit} per ${l.window}s`).join(", ") || "-";

function describePlan(plan: Plan, orDash: CliTools["orDash"]): string {
  const rows: [string, string][] = [
    ["id", plan.id],
    ["name", plan.name],
    ["rate limits", limitsText(plan.rateLimits)],
    ["quota", plan.quota ? `${plan.quota.limit} per ${plan.quota.period}` : "-"],
    ["allowed scopes", plan.allowedScopes ? plan.allowedScopes.join(", ") || "(none)" : "any"],
    ["max keys", plan.maxKeys === null ? "no limit" : orDash(plan.maxKeys)],
    ["created", plan.createdAt],
    ["updated", plan.updatedAt],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join("\n");
}

export async function runPlans(positionals: string[], flags: PlanFlags, tools: CliTools): Promise<{ json: unknown; text: string }> {
  const { request } = tools;
  const [subcommand, rawId] = positionals;
  const id = () => {
    if (!rawId) throw tools.usageError(`plans ${subcommand} needs a plan id`);
    return encodeURIComponent(rawId);
  };
  switch (subcommand) {
    case "create": {
      if (!flags.name) throw tools.usageError("plans create needs --name");
      const plan = await request<Plan>("POST", "/plans", planBody(flags, tools));
      return { json: plan, text: describePlan(plan, tools.orDash) };
    }
    case "list": {
      const items: Plan[] = [];
      let cursor = flags.cursor;
      let next: string | null = null;
      do {
        const page: { items: Plan[]; nextCursor: string | null } = await request(
          "GET",
          `/plans${tools.query({ limit: flags.limit, cursor })}`,
        );
        items.push(...page.items);
        next = page.nextCursor;
        cursor = next ?? undefined;
      } while (flags.all && next);
      const rows = items.map((p) => [
        p.id,
        p.name,
        limitsText(p.rateLimits),
        p.quota ? `${p.quota.limit}/${p.quota.period}` : "-",
        p.maxKeys === null ? "-" : String(p.maxKeys),
      ]);
      const more = next ? `\n\nmore: --cursor ${next} (or --all)` : "";
      return { json: { items, nextCursor: next }, text: tools.table(["id", "name", "rate limits", "quota", "max keys"], rows) + more };
    }
    case "get": {
      const plan = await request<Plan>("GET", `/plans/${id()}`);
      return { json: plan, text: describePlan(plan, tools.orDash) };
    }
    case "update": {
      const body = planBody(flags, tools);
      if (Object.keys(body).length === 0) throw tools.usageError("plans update needs at least one field to change");
      const plan = await request<Plan>("PATCH", `/plans/${id()}`, body);
      return { json: plan, text: describePlan(plan, tools.orDash) };
    }
    case "delete": {
      await request("DELETE", `/plans/${id()}`);
      return { json: { id: rawId, deleted: true }, text: `deleted ${rawId}` };
    }
    default:
      throw tools.usageError(subcommand ? `unknown plans command ${subcommand}` : "plans needs create, list, get, update or delete");
  }
}
