// POST /_gateway/verify: judges a key for a service not behind the proxy as a proxied request would be, and spends its
// limits unless a dry run (docs/verify.md).
import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { requireScope } from "../admin/auth";
import type { Route } from "../config/routes";
import type { GatewayEnv } from "../env";
import { ERRORS, GatewayError } from "../errors";
import { parseIp } from "../keys/ip";
import type { KeyRecord } from "../keys/record";
import type { LimitDecision } from "../ratelimit/decision";
import { writeUsage } from "../usage/data-point";
import { keyVerdict, type VerdictCode } from "../verdict/verdict";
import { QuotaStateSchema, RateLimitStateSchema } from "./me";
import { adminErrors, bodyErrors } from "./schemas";

/** Where a verify without `route` counts its usage and holds its lease: a route label no configured path can take. */
export const VERIFY_ROUTE_LABEL = "/_gateway/verify";

export const VerifyBody = z
  .object({
    key: z.string().min(1).max(1024).openapi({ description: "The key string the service was presented.", example: "gk_live_…" }),
    cost: z.number().int().min(1).max(1_000_000).optional().openapi({ description: "Units to spend (default 1).", example: 1 }),
    scopes: z
      .array(z.string().min(1).max(100))
      .max(100)
      .optional()
      .openapi({ description: "Scopes the key must all hold.", example: ["read"] }),
    dryRun: z.boolean().optional().openapi({ description: "Judge as if spending `cost`, but spend nothing and count no usage." }),
    route: z.string().min(1).max(1000).optional().openapi({
      description:
        "A configured route's `path`, exactly as configured: its scopes and rate limits (with the key's overrides for it) apply as on a proxied request, and usage counts under it.",
      example: "/demo/*",
    }),
    ip: z
      .string()
      .max(64)
      .refine((ip) => parseIp(ip) !== undefined, "must be an IPv4 or IPv6 address")
      .optional()
      .openapi({ description: "The end client's IP: checked against the key's `ipAllowlist` (not checked when absent)." }),
  })
  .strict()
  .openapi("VerifyRequest");

/** What a caller sends: optional fields may be left out. */
export type VerifyRequest = z.input<typeof VerifyBody>;

const VERIFY_CODES = [
  "valid",
  "invalid_key",
  "expired_key",
  "revoked_key",
  "disabled_key",
  "insufficient_scope",
  "ip_not_allowed",
  "rate_limited",
  "quota_exceeded",
] as const;
type VerifyCode = (typeof VERIFY_CODES)[number];

export const VerifyResultSchema = z
  .object({
    valid: z.boolean(),
    code: z.enum(VERIFY_CODES).openapi({ description: "`valid`, or the error code a proxied request with this key would get." }),
    keyId: z.string().nullable().openapi({ description: "Null when the key is malformed or unknown." }),
    identityId: z.string().nullable(),
    owner: z.string().nullable(),
    scopes: z.array(z.string()),
    metadata: z.record(z.string(), z.unknown()),
    ratelimits: z.array(RateLimitStateSchema).openapi({ description: "Every limit that applied, after this call." }),
    quota: QuotaStateSchema.nullable(),
  })
  .openapi("VerifyResult");

export type VerifyResult = z.infer<typeof VerifyResultSchema>;

export const verifyRoute = createRoute({
  method: "post",
  path: "/verify",
  operationId: "verifyKey",
  tags: ["Gateway"],
  summary: "Verify a key and spend its limits",
  description:
    "For services not behind the proxy: judges the key as a proxied request would (validity, scopes, IP allowlist, rate limits, quota) and spends `cost` units of its limits and quota unless `dryRun`. Always 200 for a well-formed body; `code` says the outcome.",
  ...requireScope("keys:verify"),
  request: { body: { required: true, content: { "application/json": { schema: VerifyBody } } } },
  responses: {
    200: { description: "The verdict", content: { "application/json": { schema: VerifyResultSchema } } },
    ...adminErrors,
    ...bodyErrors,
  },
});

/** The one place verify reads the key's identity: null for a key on its own. */
const identityOf = (record: KeyRecord): string | null => record.identity?.id ?? null;

function verdict(code: VerifyCode, record: KeyRecord | undefined, decision: LimitDecision | undefined): VerifyResult {
  return {
    valid: code === "valid",
    code,
    keyId: record?.id ?? null,
    identityId: record ? identityOf(record) : null,
    owner: record?.owner ?? null,
    scopes: record?.scopes ?? [],
    metadata: record?.metadata ?? {},
    ratelimits: (decision?.policies ?? []).map(({ name, limit, window, remaining, reset }) => ({ name, limit, window, remaining, reset })),
    quota: decision?.quota ?? null,
  };
}

function configuredRoute(routes: Route[], path: string): Route {
  const route = routes.find((r) => r.path === path);
  if (!route) throw new GatewayError("invalid_request", `route: no configured route has the path ${JSON.stringify(path)}.`);
  return route;
}

export const verify: RouteHandler<typeof verifyRoute, GatewayEnv> = async (c) => {
  const startedAt = Date.now();
  const body = c.req.valid("json");
  const route = body.route === undefined ? undefined : configuredRoute(c.get("config").routes, body.route);
  // Judged as the proxy path judges a request, on the key's own limits unless a route is named.
  const judged = await keyVerdict(c, {
    presented: [{ value: body.key }],
    auth: "required",
    route,
    usageRoute: route?.path ?? VERIFY_ROUTE_LABEL,
    ip: body.ip,
    cost: body.cost ?? 1,
    scopes: body.scopes ?? [],
    mode: body.dryRun ? "read" : "spend",
  });
  const { record, decision } = judged;
  // Verify is never asked without a key: `missing_key` cannot come.
  const code: VerifyCode = judged.refusal ? (judged.refusal.code as Exclude<VerdictCode, "missing_key">) : "valid";
  // A dry run is no request: it writes no data point, as it counts no usage.
  if (judged.counted) {
    writeUsage(c.env.USAGE, {
      keyId: record?.id,
      owner: record?.owner,
      route: route?.path ?? VERIFY_ROUTE_LABEL,
      method: c.req.method,
      outcome: code === "valid" ? "allowed" : code,
      status: code === "valid" ? 200 : ERRORS[code].status,
      latencyMs: Date.now() - startedAt,
      requestBytes: 0,
      responseBytes: 0,
    });
  }
  return c.json(verdict(code, record, decision), 200);
};
