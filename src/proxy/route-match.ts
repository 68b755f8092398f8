import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";
import { GatewayError } from "../errors";
import { clientIp } from "../http/client-ip";
import { rawPathOf, unsafePathReason } from "./path-safety";

/** Refuses unsafe paths before any auth decision, then finds the route (404) and checks the method (405). */
export function routeMatch() {
  return createMiddleware<AppEnv>(async function routeMatch(c, next) {
    const rawPath = rawPathOf(c.req.url);
    const unsafe = unsafePathReason(rawPath);
    if (unsafe) throw new GatewayError("invalid_request", `The request path is not allowed (${unsafe}).`);

    const match = c.var.config.router.match(rawPath);
    if (!match) throw new GatewayError("no_route", `No route matches ${c.req.method} ${rawPath}.`);
    const { route } = match;
    if (route.methodSet && !route.methodSet.has(c.req.method)) {
      throw new GatewayError("method_not_allowed", `${c.req.method} is not allowed on ${route.path}.`, {
        headers: { allow: route.allowHeader! },
      });
    }
    c.set("route", match);
    c.set("clientIp", clientIp(c.req.raw));
    await next();
  });
}
