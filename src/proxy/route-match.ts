// The proxy's route step: the route for the checked path (never under /_gateway), 405 for a method it does not list,
// and 403 for a service worker script a route does not allow (docs/security.md).
import { createMiddleware } from "hono/factory";
import type { RouteMatch } from "../config/routes";
import type { AppEnv, GatewayEnv } from "../env";
import { GatewayError } from "../errors";
import { clientIp } from "../http/client-ip";

/** `/_gateway…` in any spelling the path check lets through, e.g. `/_gateway%2Fadmin`. */
const RESERVED = /^\/_gateway(?:$|\/|%2F)/i;

export type RouteVariables = { route: RouteMatch; clientIp: string };

/** Finds the route for the checked path (404), never one under `/_gateway/`. */
export function routeMatch() {
  return createMiddleware<GatewayEnv & { Variables: RouteVariables }>(function routeMatch(c, next) {
    const path = c.get("path");
    const match = RESERVED.test(path) ? undefined : c.get("config").router.match(path);
    if (!match) throw new GatewayError("no_route", `No route matches ${c.req.method} ${path}.`);
    c.set("route", match);
    c.set("clientIp", clientIp(c.req.raw));
    return next();
  });
}

/** What a route without `methods` allows: everything but TRACE, which would echo the route's injected headers back. */
const DEFAULT_ALLOW = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, CONNECT";

/** 405 with Allow for a method the route does not list (TRACE unless listed); after CORS, whose preflights it answers. */
export function allowedMethod() {
  return createMiddleware<AppEnv>(function allowedMethod(c, next) {
    const { route } = c.get("route");
    const allowed = route.methodSet ? route.methodSet.has(c.req.method) : c.req.method !== "TRACE";
    if (!allowed) {
      throw new GatewayError("method_not_allowed", `${c.req.method} is not allowed on ${route.path}.`, {
        headers: { allow: route.allowHeader ?? DEFAULT_ALLOW },
      });
    }
    return next();
  });
}

/**
 * 403 for a browser fetching a service worker script (`Service-Worker: script`) through a route
 * that does not set `serviceWorkers`: proxied content must not control the origin's other pages.
 */
export function serviceWorkerGuard() {
  return createMiddleware<AppEnv>(function serviceWorkerGuard(c, next) {
    if (c.req.raw.headers.get("service-worker") === "script" && !c.get("route").route.serviceWorkers) {
      throw new GatewayError(
        "insufficient_scope",
        `${c.get("route").route.path} does not serve service workers (the route does not set serviceWorkers = true).`,
      );
    }
    return next();
  });
}
