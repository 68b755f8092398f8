// The proxy's last step (docs/routes.md): sends the request to the route's upstream once, never retried, streaming both
// bodies under the route's size cap and timeouts, with credentials stripped from the query.
import type { Context } from "hono";
import { getQueryStrings } from "hono/utils/url";
import type { Route } from "../config/routes";
import type { CredentialSource } from "../config/settings";
import { database } from "../db/client";
import type { AppEnv, CredentialLocation } from "../env";
import { GatewayError } from "../errors";
import { credentialHeaderNames, holdsGatewayKey, mayHoldImportedKey } from "../keys/credentials";
import { prefixesIfRead, prefixesToRemove } from "../keys/import-prefixes";
import { rateLimitHeaders } from "../ratelimit/decision";
import { answerWithin, type ExchangeCut, ExchangeTimer, TIMED_OUT, timedBody } from "./exchange-timer";
import { toClientHeaders, toUpstreamHeaders } from "./headers";

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
function upstreamSearch(
  search: string,
  sources: CredentialSource[],
  credential: CredentialLocation | undefined,
  importPrefixes: ReadonlySet<string>,
): string {
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
    pairs.filter(({ name, value }) => names.has(name) && holdsGatewayKey(value, importPrefixes)).map(({ name }) => name),
  );
  if (credential?.kind === "query") dropped.add(credential.name);
  const kept = pairs.filter(({ name }) => !dropped.has(name)).map(({ pair }) => pair);
  return kept.length > 0 ? `?${kept.join("&")}` : "";
}

/** Whether a credential field the proxy strips holds a value that could be an imported key: only then must it know the import prefixes. */
function carriesForeignShape(request: Request, sources: CredentialSource[]): boolean {
  for (const name of credentialHeaderNames(sources)) {
    const value = request.headers.get(name);
    if (value !== null && mayHoldImportedKey(value)) return true;
  }
  const queryNames = sources.flatMap((source) => (source.kind === "query" ? [source.name] : []));
  if (queryNames.length === 0) return false;
  const query = new URL(request.url).searchParams;
  return queryNames.some((name) => query.getAll(name).some(mayHoldImportedKey));
}

function upstreamUrl(route: Route, forwardPath: string, search: string): string {
  const origin = route.target.kind === "url" ? route.target.origin : "https://service.internal";
  const basePath = route.target.kind === "url" ? route.target.basePath : "";
  return origin + basePath + forwardPath + search;
}

/** Why the upstream fetch failed, as the client's error: what cut the exchange short, else unreachable. */
function exchangeError(cut: ExchangeCut | undefined, route: Route, clientIdleMs: number, error: unknown): GatewayError {
  switch (cut) {
    case "payload_too_large":
      return payloadTooLarge(route);
    case "request_timeout":
      return new GatewayError("request_timeout", `The request body sent no bytes for ${clientIdleMs} ms.`);
    case "upstream_timeout":
      return upstreamTimeout(route);
    default:
      return unreachable(error);
  }
}

const unreachable = (error: unknown) => new GatewayError("upstream_unreachable", "The upstream could not be reached.", { cause: error });

const payloadTooLarge = (route: Route) => new GatewayError("payload_too_large", `The request body exceeds ${route.maxBodyBytes} bytes.`);
const upstreamTimeout = (route: Route) => new GatewayError("upstream_timeout", `The upstream did not answer within ${route.timeoutMs} ms.`);

/** The client's body as the upstream gets it, timed by `timer`; 413 at once when its declared length is over the cap. */
function forwardedBody(request: Request, body: ReadableStream<Uint8Array>, route: Route, timer: ExchangeTimer) {
  const declared = request.headers.get("content-length");
  if (declared !== null && route.maxBodyBytes !== undefined && Number(declared) > route.maxBodyBytes) throw payloadTooLarge(route);
  // The runtime delivers exactly Content-Length bytes, so only a chunked body needs counting.
  return declared === null
    ? timedBody(body, timer, { length: undefined, maxBytes: route.maxBodyBytes })
    : timedBody(body, timer, { length: Number(declared), maxBytes: undefined });
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
  // Imported keys are removed too, so a request with a value that could be one waits for this isolate's
  // first read of their prefixes; any other (an own-format key's) never does: one round trip (docs/rate-limits.md).
  const defer = (work: Promise<unknown>) => c.executionCtx.waitUntil(work);
  const importPrefixes = carriesForeignShape(request, config.credentialSources)
    ? await prefixesToRemove(database(c.env.DB), Date.now(), defer)
    : prefixesIfRead(database(c.env.DB), Date.now(), defer);
  const body = BODYLESS.has(request.method) ? null : request.body;
  // A body is timed both ways (the client's chunks, the upstream's reads); without one only the answer is.
  const timer = body ? new ExchangeTimer(route.timeoutMs, config.clientBodyTimeoutMs) : undefined;

  // Built once and edited in place: fetch() sends a Request given alone as it is, without copying its headers again.
  const outgoing = new Request(
    upstreamUrl(route, forwardPath, upstreamSearch(getQueryStrings(request.url), config.credentialSources, credential, importPrefixes)),
    {
      method: request.method,
      headers: request.headers,
      body: body && timer ? forwardedBody(request, body, route, timer) : null,
      redirect: "manual",
      signal: timer?.abort.signal,
    },
  );
  toUpstreamHeaders(outgoing.headers, request.headers, {
    requestId: c.get("requestId"),
    clientIp: c.get("clientIp"),
    url: request.url,
    key: c.get("key"),
    credential,
    credentialSources: config.credentialSources,
    importPrefixes,
    routeHeaders: route.upstreamHeaders,
  });
  const sent = route.target.kind === "service" ? (c.env[route.target.binding] as Fetcher).fetch(outgoing) : fetch(outgoing);

  let upstream: Response;
  if (timer) {
    timer.waitOnUpstream();
    try {
      upstream = await sent;
    } catch (error) {
      throw exchangeError(timer.cut, route, config.clientBodyTimeoutMs, error);
    } finally {
      timer.settle();
    }
    if (timer.cut === "payload_too_large") {
      // The upstream answered before the cap cut its body short: the client still gets the 413.
      await upstream.body?.cancel();
      throw payloadTooLarge(route);
    }
  } else {
    let answer: Response | typeof TIMED_OUT;
    try {
      answer = await answerWithin(sent, route.timeoutMs);
    } catch (error) {
      throw unreachable(error);
    }
    if (answer === TIMED_OUT) throw upstreamTimeout(route);
    upstream = answer;
  }

  if (upstream.status === 101) return upstream; // a WebSocket: the runtime joins the two sockets

  // The Workers idiom for a response with the upstream's status and headers, mutable: one native copy of them.
  const response = new Response(upstream.body, upstream);
  const limits = c.get("limits");
  toClientHeaders(response.headers, c.get("requestId"), limits && rateLimitHeaders(limits));
  return response;
}
