// CORS for routes that set `cors` (docs/routes.md): preflights answered by the gateway without a key, allow headers on
// every answer to an allowed origin, errors included.
import type { Context, Next } from "hono";
import { createMiddleware } from "hono/factory";
import type { CorsConfig } from "../config/schema";
import type { GatewayEnv } from "../env";
import type { RouteVariables } from "./route-match";

/** A route's CORS settings turned into header values once, at config time. */
export interface CorsPolicy {
  anyOrigin: boolean;
  origins: ReadonlySet<string>;
  methods: ReadonlySet<string>;
  allowMethods: string;
  /** Undefined: echo the preflight's Access-Control-Request-Headers. */
  allowHeaders: string | undefined;
  exposeHeaders: string | undefined;
  maxAge: string;
  credentials: boolean;
}

const DEFAULT_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"];

export function compileCors(config: CorsConfig, routeMethods: readonly string[] | undefined): CorsPolicy {
  const methods = [...new Set(config.methods ?? routeMethods ?? DEFAULT_METHODS)];
  return {
    anyOrigin: config.origins === "*",
    origins: new Set(config.origins === "*" ? [] : config.origins),
    methods: new Set(methods),
    allowMethods: methods.join(", "),
    allowHeaders: config.headers?.join(", "),
    exposeHeaders: config.exposeHeaders.length > 0 ? config.exposeHeaders.join(", ") : undefined,
    maxAge: String(config.maxAge),
    credentials: config.credentials,
  };
}

function allowedOrigin(policy: CorsPolicy, origin: string | undefined): string | undefined {
  if (!origin) return undefined;
  if (policy.anyOrigin) return "*";
  return policy.origins.has(origin) ? origin : undefined;
}

/**
 * On routes with `cors`, the gateway owns CORS: it answers preflights itself (no key needed, the
 * browser sends none) and sets the allow headers on every answer to an allowed origin, errors too,
 * so browser code can read a 401 or 429. Routes without `cors` pass OPTIONS to the upstream.
 */
export function routeCors() {
  // Not async for routes without `cors` (most): one promise less per request.
  return createMiddleware<GatewayEnv & { Variables: RouteVariables }>(function routeCors(c, next) {
    const policy = c.get("route").route.corsPolicy;
    return policy ? withCors(policy, c, next) : next();
  });
}

/** A route with a policy: its preflights answered here, its allow headers set on every answer. */
async function withCors(
  policy: CorsPolicy,
  c: Context<GatewayEnv & { Variables: RouteVariables }>,
  next: Next,
): Promise<Response | undefined> {
  const origin = c.req.header("origin");
  const allowed = allowedOrigin(policy, origin);
  const requestedMethod = c.req.header("access-control-request-method");

  if (c.req.method === "OPTIONS" && origin && requestedMethod) {
    const headers = new Headers({ vary: "Origin, Access-Control-Request-Method, Access-Control-Request-Headers" });
    if (allowed && policy.methods.has(requestedMethod.toUpperCase())) {
      headers.set("access-control-allow-origin", allowed);
      headers.set("access-control-allow-methods", policy.allowMethods);
      const requestedHeaders = c.req.header("access-control-request-headers");
      const allowHeaders = policy.allowHeaders ?? requestedHeaders;
      if (allowHeaders) headers.set("access-control-allow-headers", allowHeaders);
      headers.set("access-control-max-age", policy.maxAge);
      if (policy.credentials) headers.set("access-control-allow-credentials", "true");
    }
    headers.set("x-request-id", c.get("requestId"));
    return c.body(null, 204, Object.fromEntries(headers));
  }

  await next();
  if (c.res.status === 101) return; // a WebSocket: its headers belong to the handshake
  const headers = c.res.headers;
  for (const name of [...headers.keys()]) if (name.startsWith("access-control-")) headers.delete(name);
  headers.append("vary", "Origin");
  if (!allowed) return;
  headers.set("access-control-allow-origin", allowed);
  if (policy.credentials) headers.set("access-control-allow-credentials", "true");
  if (policy.exposeHeaders) headers.set("access-control-expose-headers", policy.exposeHeaders);
}
