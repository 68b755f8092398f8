// The worker's entry, wiring only: the request path's middleware in order, the /_gateway and portal apps loaded on first
// use, the cron trigger, and the Durable Object classes wrangler binds.
import { Hono } from "hono";
import { requestId } from "hono/request-id";
import { billingExport } from "./billing/outbox-client";
import { gatewayConfig } from "./config/middleware";
import type { AnyStageEnv, Env, GatewayEnv } from "./env";
import { pageHosts } from "./http/page-hosts";
import { notFound, renderError } from "./http/problem";
import { lazy } from "./lazy";
import { routeCors } from "./proxy/cors";
import { forwardRequest } from "./proxy/forward";
import { checkPath, pathSafety, rawPathOf } from "./proxy/path-safety";
import { allowedMethod, routeMatch, serviceWorkerGuard } from "./proxy/route-match";
import { usageRecorder } from "./usage/middleware";
import { admission } from "./verdict/middleware";
import { queueExpiryNotices } from "./webhooks/expiring";

export { BillingOutbox } from "./billing/outbox";
export { ClientIpCounter } from "./ratelimit/client-ip-counter";
export { KeyLimiter } from "./ratelimit/key-limiter";
export { WebhookOutbox } from "./webhooks/outbox";

/** Every request's middleware and the proxy path, with the gateway's own API under /_gateway when given. */
function buildApp(gatewayApi?: Hono<GatewayEnv>) {
  const app = new Hono<AnyStageEnv>();
  app.onError(renderError);
  app.notFound(notFound);
  app.use(requestId({ limitLength: 128 }));
  app.use(pathSafety());
  app.use(gatewayConfig());
  app.use(pageHosts());

  if (gatewayApi) app.route("/_gateway", gatewayApi);
  app.all("/_gateway/*", notFound);

  // The request path (docs/routes.md): route → key → Durable Object → upstream, one usage point.
  app.all("*", usageRecorder(), routeMatch(), routeCors(), allowedMethod(), serviceWorkerGuard(), admission(), forwardRequest);
  return app;
}

/** Any spelling that could reach the gateway's own API (`/%5Fgateway` too); the app with it answers everything else alike. */
const GATEWAY_PATH = /^\/_gateway/i;

/** The customers' portal: its own app, so neither the proxy path nor the admin API loads its code. */
const PORTAL_PATH = /^\/_gateway\/portal(\/|$)/;

/** Which app answers the URL: the proxy path, the portal, or the rest of the gateway's own API. */
function appFor(url: string): "proxy" | "portal" | "gateway" {
  const path = rawPathOf(url);
  // Only `/_…` or a leading escape can normalise to `/_gateway`: other paths skip the full check here (pathSafety makes it).
  if (path[1] !== "_" && path[1] !== "%") return "proxy";
  const checked = checkPath(path);
  if (!checked.ok || !GATEWAY_PATH.test(checked.path)) return "proxy";
  return PORTAL_PATH.test(checked.path) ? "portal" : "gateway";
}

/** Stands in for the gateway's API while it cannot load: its requests get the one error renderer's 500. */
function unavailableApi(error: unknown): Hono<GatewayEnv> {
  return new Hono<GatewayEnv>().all("*", () => {
    throw error instanceof Error ? error : new Error(String(error));
  });
}

const proxyApp = buildApp();
// The admin and OpenAPI app (its zod schemas, routes and document) is built on the first /_gateway request,
// so a new isolate's first proxied request does not pay for it; a failed load is tried again on the next one.
const fullApp = lazy(() => import("./gateway/app").then(({ gatewayApi }) => buildApp(gatewayApi())));
// The portal (sign-in, its JSON API, its page) likewise, with the OpenID Connect client, on the first portal request.
const portalApp = lazy(() =>
  import("./portal/app").then(({ portalApp }) => buildApp(new Hono<GatewayEnv>().route("/portal", portalApp()))),
);

export default {
  fetch(request: Request, env: Env, ctx: ExecutionContext) {
    const which = appFor(request.url);
    if (which === "proxy") return proxyApp.fetch(request, env, ctx);
    return (which === "portal" ? portalApp : fullApp)().then(
      (app) => app.fetch(request, env, ctx),
      (error: unknown) => buildApp(unavailableApi(error)).fetch(request, env, ctx),
    );
  },
  // Cron trigger: notices that come with time (webhooks for keys about to expire), and a poke for the usage
  // export (docs/billing.md), whose own alarm closes intervals once it runs.
  scheduled: (controller, env, ctx) => {
    ctx.waitUntil(queueExpiryNotices(env, controller.scheduledTime));
    if (env.BILLING_EXPORT) ctx.waitUntil(billingExport(env).tick());
  },
} satisfies ExportedHandler<Env>;
