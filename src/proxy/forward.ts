import type { Context } from "hono";
import { getQueryStrings } from "hono/utils/url";
import type { Route } from "../config/routes";
import type { CredentialSource } from "../config/settings";
import type { AppEnv, CredentialLocation } from "../env";
import { GatewayError } from "../errors";
import { holdsGatewayKey } from "../keys/credentials";
import { knownImportPrefixes } from "../keys/import-prefixes";
import { rateLimitHeaders } from "../ratelimit/decision";
import { ExchangeTimer, timedBody } from "./exchange-timer";
import { clientResponseHeaders, upstreamRequestHeaders } from "./headers";

const BODYLESS = new Set(["GET", "HEAD"]);

const decodeQueryPart = (part: string) => {
  try {
    return decodeURIComponent(part.replaceAll("+", " "));
  } catch {
    return part;
  }
};

/**
 * The query minus every configured credential parameter that holds a gateway key in any of its
 * values (and the one that authenticated); other pairs pass byte for byte, in the client's encoding.
 */
function upstreamSearch(search: string, sources: CredentialSource[], credential: CredentialLocation | undefined): string {
  if (search.length <= 1) return "";
  if (!sources.some((source) => source.kind === "query")) return search;
  const names = new Set(sources.flatMap((source) => (source.kind === "query" ? [source.name] : [])));
  const pairs = search
    .slice(1)
    .split("&")
    .map((pair) => {
      const equals = pair.indexOf("=");
      if (equals === -1) return { pair, name: decodeQueryPart(pair), value: "" };
      return { pair, name: decodeQueryPart(pair.slice(0, equals)), value: decodeQueryPart(pair.slice(equals + 1)) };
    });
  const dropped = new Set(
    pairs.filter(({ name, value }) => names.has(name) && holdsGatewayKey(value, knownImportPrefixes())).map(({ name }) => name),
  );
  if (credential?.kind === "query") dropped.add(credential.name);
  const kept = pairs.filter(({ name }) => !dropped.has(name)).map(({ pair }) => pair);
  return kept.length > 0 ? `?${kept.join("&")}` : "";
}

function upstreamUrl(route: Route, forwardPath: string, search: string): string {
  const origin = route.target.kind === "url" ? route.target.origin : "https://service.internal";
  const basePath = route.target.kind === "url" ? route.target.basePath : "";
  return origin + basePath + forwardPath + search;
}

/**
 * Sends the request to the route's upstream and streams the answer back (docs/routes.md). One
 * attempt only: a request whose upstream fails is never retried, whatever its method, because
 * the gateway cannot know whether a POST that lost its connection was already acted on.
 */
export async function forwardRequest(c: Context<AppEnv>): Promise<Response> {
  const { route, forwardPath } = c.get("route");
  const request = c.req.raw;
  const credential = c.get("credentialSource");
  const config = c.get("config");
  const timer = new ExchangeTimer(route.timeoutMs, config.clientBodyTimeoutMs);
  const payloadTooLarge = () => new GatewayError("payload_too_large", `The request body exceeds ${route.maxBodyBytes} bytes.`);

  let body: ReadableStream<Uint8Array> | null = BODYLESS.has(request.method) ? null : request.body;
  if (body) {
    const declared = request.headers.get("content-length");
    if (declared !== null && route.maxBodyBytes !== undefined && Number(declared) > route.maxBodyBytes) throw payloadTooLarge();
    // The runtime delivers exactly Content-Length bytes, so only a chunked body needs counting.
    body =
      declared === null
        ? timedBody(body, timer, { length: undefined, maxBytes: route.maxBodyBytes })
        : timedBody(body, timer, { length: Number(declared), maxBytes: undefined });
  }

  const headers = upstreamRequestHeaders(request.headers, {
    requestId: c.get("requestId"),
    clientIp: c.get("clientIp"),
    url: request.url,
    key: c.get("key"),
    credential,
    credentialSources: config.credentialSources,
    routeHeaders: route.upstreamHeaders,
  });
  const target = upstreamUrl(route, forwardPath, upstreamSearch(getQueryStrings(request.url), config.credentialSources, credential));

  timer.waitOnUpstream();
  let upstream: Response;
  try {
    const init: RequestInit = { method: request.method, headers, body, redirect: "manual", signal: timer.abort.signal };
    if (route.target.kind === "service") {
      upstream = await (c.env[route.target.binding] as Fetcher).fetch(target, init);
    } else {
      upstream = await fetch(target, init);
    }
  } catch (error) {
    switch (timer.cut) {
      case "payload_too_large":
        throw payloadTooLarge();
      case "request_timeout":
        throw new GatewayError("request_timeout", `The request body sent no bytes for ${config.clientBodyTimeoutMs} ms.`);
      case "upstream_timeout":
        throw new GatewayError("upstream_timeout", `The upstream did not answer within ${route.timeoutMs} ms.`);
      default:
        throw new GatewayError("upstream_unreachable", "The upstream could not be reached.", { cause: error });
    }
  } finally {
    timer.settle();
  }
  if (timer.cut === "payload_too_large") {
    // The upstream answered before the cap cut its body short: the client still gets the 413.
    await upstream.body?.cancel();
    throw payloadTooLarge();
  }

  if (upstream.status === 101) return upstream; // a WebSocket: the runtime joins the two sockets

  const extra: Record<string, string> = { "x-request-id": c.get("requestId") };
  const limits = c.get("limits");
  if (limits) Object.assign(extra, rateLimitHeaders(limits));
  return new Response(upstream.body, {
    status: upstream.status,
    statusText: upstream.statusText,
    headers: clientResponseHeaders(upstream.headers, extra),
  });
}
