/**
 * Bench-only entry: the gateway unchanged, behind bindings that count D1 queries, DO calls and
 * fetches, plus `/__bench/*` endpoints to read the counts, delay every DO call (a "remote
 * object") and load the limiter directly. Throughput is never measured on this build (the
 * proxies cost time); counts are, and latency only where a delay of tens of ms dwarfs them.
 */

import type { Env } from "../../src/env";
import app, { BillingOutbox, ClientIpCounter, KeyLimiter, WebhookOutbox } from "../../src/index.ts";
import { countedD1, countedNamespace, countGlobalFetch, counts, remoteObject, resetCounts } from "./counters.ts";
import { HOT_KEY_INPUT, limiterLoad } from "./limiter-load.ts";

export { BillingOutbox, ClientIpCounter, KeyLimiter, WebhookOutbox };

countGlobalFetch();

// One wrapped env per real env, so the gateway's per-env caches (config, drizzle) still hit.
const wrapped = new WeakMap<Env, Env>();

function countingEnv(env: Env): Env {
  const seen = wrapped.get(env);
  if (seen) return seen;
  const counted: Env = {
    ...env,
    DB: countedD1(env.DB),
    KEY_LIMITER: countedNamespace(env.KEY_LIMITER),
    CLIENT_IP_COUNTER: countedNamespace(env.CLIENT_IP_COUNTER),
  };
  wrapped.set(env, counted);
  return counted;
}

async function benchEndpoint(url: URL, env: Env): Promise<Response> {
  switch (url.pathname) {
    case "/__bench/counts":
      return Response.json(counts);
    case "/__bench/reset":
      resetCounts();
      return Response.json(counts);
    case "/__bench/do-delay":
      remoteObject.delayMs = Number(url.searchParams.get("ms") ?? 0);
      return Response.json(remoteObject);
    case "/__bench/limiter": {
      const callers = Number(url.searchParams.get("callers") ?? 64);
      const ms = Number(url.searchParams.get("ms") ?? 2000);
      return Response.json(await limiterLoad(env, url.searchParams.get("name") ?? "key:bench-hot", callers, ms));
    }
    case "/__bench/decide": {
      // One DO decision per HTTP request, no upstream: the hot key as many clients see it.
      const decision = await env.KEY_LIMITER.getByName(url.searchParams.get("name") ?? "key:bench-hot-http").check(HOT_KEY_INPUT);
      return Response.json(decision.outcome);
    }
    default:
      return new Response("unknown bench endpoint", { status: 404 });
  }
}

export default {
  fetch(request: Request, env: Env, ctx: ExecutionContext): Response | Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname.startsWith("/__bench/")) return benchEndpoint(url, env);
    counts.requests++;
    return app.fetch(request, countingEnv(env), ctx);
  },
} satisfies ExportedHandler<Env>;
