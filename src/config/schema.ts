// The zod schemas of every setting and of the route table (docs/configuration.md, docs/routes.md), with their defaults
// and bounds; the rate-limit schema is shared with the admin API and the OpenAPI document.
import { z } from "@hono/zod-openapi";
import { KEY_PREFIX_PATTERN } from "../keys/format.ts";

export const LIMIT_NAME_PATTERN = /^[A-Za-z0-9_.-]{1,32}$/;
/** One year: the longest sliding window a limit may have. */
export const MAX_WINDOW_SECONDS = 31_536_000;

/** A named sliding-window limit, as routes, keys, the admin API and the OpenAPI document all take it. */
export const rateLimitSchema = z
  .object({
    name: z.string().regex(LIMIT_NAME_PATTERN, "1-32 characters of A-Z a-z 0-9 _ . -").openapi({ example: "minute" }),
    limit: z.number().int().min(1).max(1_000_000_000).openapi({ example: 100 }),
    window: z.number().int().min(1).max(MAX_WINDOW_SECONDS).openapi({ description: "Seconds.", example: 60 }),
  })
  .strict()
  .openapi("RateLimit");

export type RateLimitSpec = z.infer<typeof rateLimitSchema>;

export const rateLimitsSchema = z
  .array(rateLimitSchema)
  .max(8)
  .refine((limits) => new Set(limits.map((l) => l.name)).size === limits.length, "limit names must be unique")
  .openapi({ description: "At most 8, names unique." });

/** A route's `path` as configured: `/v1/search`, or a prefix ending in `*`. */
export const ROUTE_PATH_PATTERN = /^\/[^*?#]*\*?$/;

/** A key's limits per route path, each replacing the route's limit of the same name. */
export const routeRateLimitsSchema = z
  .record(
    z.string().max(1000).regex(ROUTE_PATH_PATTERN, 'must be a route path as configured, e.g. "/v1/search" or "/v1/*"'),
    rateLimitsSchema,
  )
  .refine((routes) => Object.keys(routes).length <= 32, "at most 32 routes")
  .openapi({
    description:
      "Per route path exactly as configured: limits that replace the route's limit of the same name for this key (other names are added). Paths no route has are kept and ignored.",
    example: { "/demo/*": [{ name: "minute", limit: 1000, window: 60 }] },
    maxProperties: 32,
    // A JSON Schema keyword of OpenAPI 3.1 that the generator's (3.0) metadata type lacks; it is emitted as written.
    ...({ propertyNames: { type: "string", maxLength: 1000, pattern: ROUTE_PATH_PATTERN.source } } as object),
  });

export type RouteRateLimits = z.infer<typeof routeRateLimitsSchema>;

const HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE"] as const;

const upstreamSchema = z.string().refine((value) => {
  if (value.startsWith("service:")) return /^service:[A-Za-z_][A-Za-z0-9_]*$/.test(value);
  try {
    const url = new URL(value);
    return (url.protocol === "https:" || url.protocol === "http:") && !url.search && !url.hash && !url.username;
  } catch {
    return false;
  }
}, "must be an https:// (or http://) origin with an optional base path, or service:<BINDING>");

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

const originSchema = z.string().refine((value) => {
  try {
    return new URL(value).origin === value;
  } catch {
    return false;
  }
}, 'must be an origin such as "https://app.example.com" (scheme, host, optional port; no path)');

export const corsSchema = z
  .object({
    origins: z.union([z.literal("*"), z.array(originSchema).min(1)], 'must be "*" or a list of origins'),
    methods: z
      .array(
        z
          .string()
          .transform((m) => m.toUpperCase())
          .pipe(z.enum(HTTP_METHODS)),
      )
      .min(1)
      .optional(),
    headers: z.array(z.string().regex(HEADER_NAME, "not a header name")).optional(),
    exposeHeaders: z.array(z.string().regex(HEADER_NAME, "not a header name")).default([]),
    maxAge: z.number().int().min(0).max(86_400).default(600),
    credentials: z.boolean().default(false),
  })
  .strict()
  .refine((cors) => !(cors.credentials && cors.origins === "*"), {
    path: ["credentials"],
    message: 'cannot be true with origins "*": browsers refuse credentials with a wildcard origin; list the origins',
  });

export type CorsConfig = z.infer<typeof corsSchema>;

export const routeSchema = z
  .object({
    path: z.string().regex(ROUTE_PATH_PATTERN, 'must start with "/" and may end with "*" (prefix match)'),
    upstream: upstreamSchema,
    stripPrefix: z.boolean().default(false),
    auth: z.enum(["required", "optional", "none"]).default("required"),
    scopes: z.array(z.string().min(1).max(100)).default([]),
    methods: z
      .array(
        z
          .string()
          .transform((m) => m.toUpperCase())
          .pipe(z.enum(HTTP_METHODS)),
      )
      .min(1)
      .optional(),
    rateLimits: rateLimitsSchema.default([]),
    cost: z.number().int().min(1).max(1_000_000).default(1),
    timeoutMs: z.number().int().min(1).max(300_000).default(30_000),
    maxBodyBytes: z.number().int().min(0).optional(),
    headers: z.record(z.string().regex(HEADER_NAME, "not a header name"), z.string()).default({}),
    onLimiterError: z.enum(["closed", "open"]).default("closed"),
    cors: corsSchema.optional(),
    /** Lets pages on this route register service workers (docs/routes.md); off, proxied content cannot take over the origin. */
    serviceWorkers: z.boolean().default(false),
  })
  .strict()
  // Anonymous calls carry no scopes to check, so scopes on an optional-auth route would hold only keyed callers to them.
  .refine((route) => !(route.auth === "optional" && route.scopes.length > 0), {
    path: ["scopes"],
    message: 'cannot be set with auth = "optional": anonymous calls have no scopes to check; use auth = "required"',
  });

export type RouteConfig = z.infer<typeof routeSchema>;
/** A route as an operator writes it: defaults not yet applied, methods in any case. */
export type RouteInput = z.input<typeof routeSchema>;

export const credentialSourceSchema = z
  .string()
  .regex(
    /^(authorization:[A-Za-z][A-Za-z0-9-]*|header:[A-Za-z0-9-]+|query:[A-Za-z0-9_.-]+)$/,
    'use "authorization:<scheme>", "header:<name>" or "query:<name>"',
  );

export const DEFAULT_CREDENTIAL_SOURCES = ["authorization:api-key", "authorization:bearer", "header:x-api-key"];

/** An integer in [min, max] from a TOML number or a `--var` string. */
const integerSetting = (fallback: number, min: number, max: number) =>
  z
    .union([z.number(), z.string().regex(/^\d+$/).transform(Number)])
    .pipe(z.number().int().min(min).max(max))
    .default(fallback);
const positiveInt = (fallback: number, max: number) => integerSetting(fallback, 1, max);

/** A JSON value that may arrive parsed (TOML table) or as a JSON string (`--var`, dashboard). */
const jsonOrValue = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => {
    if (typeof value !== "string") return value;
    try {
      return JSON.parse(value);
    } catch {
      return Symbol.for("invalid JSON");
    }
  }, schema);

/** A host name as browsers send it in `Host`, with an optional port: `portal.example.com`, `localhost:8787`. */
const hostSetting = z
  .string()
  .transform((host) => host.toLowerCase())
  .pipe(
    z
      .string()
      .regex(/^[a-z0-9.-]{1,253}(:\d{1,5})?$/, 'must be a host name such as "portal.example.com" (optional :port; no scheme or path)'),
  );

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** An https:// URL; http:// only on loopback (the local servers of `npm run dev` and tests). */
const secureUrl = (value: string) => {
  try {
    const url = new URL(value);
    const secure = url.protocol === "https:" || (url.protocol === "http:" && LOOPBACK_HOSTS.has(url.hostname));
    return secure && !url.search && !url.hash && !url.username;
  } catch {
    return false;
  }
};
const issuerSetting = z
  .string()
  .refine(secureUrl, "must be an https:// URL (http:// only on localhost or 127.0.0.1), without query or fragment");

/** GitHub's published secret-scanning public keys (docs/secret-scanning.md). */
export const GITHUB_SECRET_SCANNING_KEYS_URL = "https://api.github.com/meta/public_keys/secret_scanning";

/** An https:// URL to send to; http:// only on loopback (tests' receivers). */
const exportUrlSetting = z.string().refine((value) => {
  try {
    const url = new URL(value);
    return (url.protocol === "https:" || (url.protocol === "http:" && LOOPBACK_HOSTS.has(url.hostname))) && !url.username && !url.hash;
  } catch {
    return false;
  }
}, "must be an https:// URL (http:// only on localhost or 127.0.0.1)");

export const settingsSchema = z.object({
  KEY_PREFIX: z.string().regex(KEY_PREFIX_PATTERN, "must match [a-z][a-z0-9_]{0,15}").default("gk_live"),
  GATEWAY_REALM: z
    .string()
    .regex(/^[\x20-\x7e]{1,100}$/)
    .refine((s) => !s.includes('"'), "no quotes")
    .default("gateway"),
  GATEWAY_ROUTES: jsonOrValue(z.array(routeSchema, "must be an array of route tables (or its JSON)")),
  CREDENTIAL_SOURCES: jsonOrValue(z.array(credentialSourceSchema).min(1)).default(DEFAULT_CREDENTIAL_SOURCES),
  KEY_CACHE_TTL_SECONDS: positiveInt(60, 3600),
  KEY_CACHE_MAX_ENTRIES: positiveInt(10_000, 1_000_000),
  LIMITER_TIMEOUT_MS: positiveInt(3_000, 60_000),
  LEASE_TTL_MS: integerSetting(1_000, 0, 60_000),
  CLIENT_BODY_TIMEOUT_MS: positiveInt(30_000, 300_000),
  /** IPv6 clients are counted per network of this many bits (docs/configuration.md): one client holds a whole /64. */
  IPV6_CLIENT_PREFIX: integerSetting(64, 32, 128),
  /** The wait before a webhook delivery's first retry; later waits triple it (docs/webhooks.md). */
  WEBHOOK_RETRY_BASE_MS: positiveInt(5_000, 10_000),
  /** Serve the operators' dashboard only on this host, and nothing else there (docs/portal.md § Hosts). */
  DASHBOARD_HOST: hostSetting.optional(),
  /** Serve the customers' portal only on this host, and nothing else there (docs/portal.md § Hosts). */
  PORTAL_HOST: hostSetting.optional(),
  /** The customers' OpenID Connect provider (docs/portal.md): its issuer identifier, discovery is read from it. */
  OIDC_ISSUER: issuerSetting.optional(),
  OIDC_CLIENT_ID: z.string().min(1).max(500).optional(),
  /** The plan, by name, a customer's first sign-in puts its identity on. */
  PORTAL_DEFAULT_PLAN: z.string().min(1).max(100).optional(),
  /** How long a portal session lasts: at most 12 h. */
  PORTAL_SESSION_MAX_AGE_SECONDS: positiveInt(43_200, 43_200),
  /** Where GitHub's secret-scanning public keys are read (docs/secret-scanning.md). */
  SECRET_SCANNING_KEYS_URL: z
    .string()
    .refine(secureUrl, "must be an https:// URL (http:// only on localhost or 127.0.0.1), without query or fragment")
    .default(GITHUB_SECRET_SCANNING_KEYS_URL),
  /** What a leaked-key report from GitHub does to a live key: revoke it, or only announce `key.leaked`. */
  LEAKED_KEY_ACTION: z.enum(["revoke", "notify"]).default("revoke"),
  /** Usage export to billing (docs/billing.md); unset: off. */
  BILLING_EXPORT: z.enum(["stripe", "openmeter"], 'must be "stripe" or "openmeter"').optional(),
  BILLING_EXPORT_URL: exportUrlSetting.optional(),
  /** Whole hours (the rollups are hourly), at most a day. */
  BILLING_EXPORT_INTERVAL_SECONDS: positiveInt(3_600, 86_400).refine(
    (s) => s % 3_600 === 0,
    "must be a whole number of hours (3600, 7200, …, 86400)",
  ),
  /** Stripe's meter `event_name`, OpenMeter's event `type`. */
  BILLING_EVENT_NAME: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,100}$/, "must be 1–100 letters, digits, _ . : or -")
    .default("api_requests"),
});

export type Settings = z.infer<typeof settingsSchema>;
