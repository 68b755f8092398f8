// The usage recorder on the proxy path: one Analytics Engine data point per request, and each 401
// counted by route for the usage reports (docs/usage.md).
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { GatewayEnv } from "../env";
import { GatewayError } from "../errors";
import type { KeyVariables } from "../keys/authenticate";
import type { RouteVariables } from "../proxy/route-match";
import { writeUsage } from "./data-point";
import { countUnauthorized, isUnauthorizedOutcome } from "./unauthorized";

const contentLength = (headers: Headers) => Number(headers.get("content-length") ?? 0) || 0;

/** Writes one usage data point per request (the route is unset when none matched), after the answer is decided; never fails a request. */
export function usageRecorder() {
  return createMiddleware<GatewayEnv & { Variables: Partial<RouteVariables> & KeyVariables }>(async function usageRecorder(c, next) {
    const startedAt = Date.now();
    await next();
    const error = c.error;
    const outcome = error instanceof GatewayError ? error.code : error ? "internal_error" : "allowed";
    const route = c.get("route")?.route.path;
    // Key rollups come from each key's object; a 401 reaches none, so it is counted here by route.
    if (route !== undefined && isUnauthorizedOutcome(outcome)) {
      const writing = countUnauthorized(c.env.DB, route);
      if (writing) inBackground(c, writing);
    }
    writeUsage(c.env.USAGE, {
      keyId: c.get("key")?.id,
      owner: c.get("key")?.owner,
      route,
      method: c.req.method,
      outcome,
      status: c.res.status,
      latencyMs: Date.now() - startedAt,
      requestBytes: contentLength(c.req.raw.headers),
      responseBytes: contentLength(c.res.headers),
    });
  });
}

function inBackground(c: Context, work: Promise<void>): void {
  try {
    c.executionCtx.waitUntil(work);
  } catch {
    // No execution context (the app called directly): the write still runs.
  }
}
