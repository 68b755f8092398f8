import { Hono } from "hono";
import { requestId } from "hono/request-id";
import { gatewayConfig } from "./config/middleware";
import type { AnyStageEnv } from "./env";
import { gatewayApi } from "./gateway/app";
import { notFound, renderError } from "./http/problem";
import { keyAuth } from "./keys/authenticate";
import { routeCors } from "./proxy/cors";
import { forwardRequest } from "./proxy/forward";
import { pathSafety } from "./proxy/path-safety";
import { allowedMethod, routeMatch } from "./proxy/route-match";
import { rateLimit } from "./ratelimit/middleware";
import { usageRecorder } from "./usage/middleware";

export { KeyLimiter } from "./ratelimit/key-limiter";

const app = new Hono<AnyStageEnv>();

app.onError(renderError);
app.notFound(notFound);
app.use(requestId({ limitLength: 128 }));
app.use(pathSafety());
app.use(gatewayConfig());

app.route("/_gateway", gatewayApi());
app.all("/_gateway/*", notFound);

// The request path (CONTRACT §1): route → key → Durable Object → upstream, one usage point.
app.all("*", usageRecorder(), routeMatch(), routeCors(), allowedMethod(), keyAuth(), rateLimit(), forwardRequest);

export default app;
