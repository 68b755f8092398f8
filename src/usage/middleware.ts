import { createMiddleware } from "hono/factory";
import type { GatewayEnv } from "../env";
import { GatewayError } from "../errors";
import type { KeyVariables } from "../keys/authenticate";
import type { RouteVariables } from "../proxy/route-match";
import { writeUsage } from "./data-point";

const contentLength = (headers: Headers) => Number(headers.get("content-length") ?? 0) || 0;

/** Writes one usage data point per request (the route is unset when none matched), after the answer is decided; never fails a request. */
export function usageRecorder() {
  return createMiddleware<GatewayEnv & { Variables: Partial<RouteVariables> & KeyVariables }>(async function usageRecorder(c, next) {
    const startedAt = Date.now();
    await next();
    const error = c.error;
    writeUsage(c.env.USAGE, {
      keyId: c.get("key")?.id,
      owner: c.get("key")?.owner,
      route: c.get("route")?.route.path,
      method: c.req.method,
      outcome: error instanceof GatewayError ? error.code : error ? "internal_error" : "allowed",
      status: c.res.status,
      latencyMs: Date.now() - startedAt,
      requestBytes: contentLength(c.req.raw.headers),
      responseBytes: contentLength(c.res.headers),
    });
  });
}
