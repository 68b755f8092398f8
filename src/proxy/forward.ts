import type { Context } from "hono";
import type { Route } from "../config/routes";
import type { AppEnv } from "../env";
import { GatewayError } from "../errors";
import { rateLimitHeaders } from "../ratelimit/decision";
import { clientResponseHeaders, upstreamRequestHeaders } from "./headers";

const BODYLESS = new Set(["GET", "HEAD"]);

/**
 * Passes a body of unknown length (chunked) through untouched. Past `max` bytes it aborts the
 * upstream request rather than erroring or closing the stream: an errored stream is reported by
 * workerd as an uncaught rejection, and a closed one would send the upstream a truncated body.
 */
function capBody(body: ReadableStream<Uint8Array>, max: number, onExceeded: () => void): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let seen = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) return controller.close();
      seen += value.byteLength;
      if (seen > max) {
        onExceeded();
        await reader.cancel();
        return;
      }
      controller.enqueue(value);
    },
    cancel: (reason) => reader.cancel(reason),
  });
}

function upstreamUrl(route: Route, forwardPath: string, url: URL, credentialQuery: string | undefined): string {
  let search = url.search;
  if (credentialQuery !== undefined) {
    const params = new URLSearchParams(url.search);
    params.delete(credentialQuery);
    const rest = params.toString();
    search = rest ? `?${rest}` : "";
  }
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
  const url = new URL(request.url);
  const credential = c.get("credentialSource");
  const abort = new AbortController();
  let bodyTooLarge = false;
  const payloadTooLarge = () => new GatewayError("payload_too_large", `The request body exceeds ${route.maxBodyBytes} bytes.`);

  let body: ReadableStream<Uint8Array> | null = BODYLESS.has(request.method) ? null : request.body;
  if (route.maxBodyBytes !== undefined && body) {
    const declared = request.headers.get("content-length");
    // The runtime delivers exactly Content-Length bytes, so only a chunked body needs counting.
    if (declared === null) {
      body = capBody(body, route.maxBodyBytes, () => {
        bodyTooLarge = true;
        abort.abort();
      });
    } else if (Number(declared) > route.maxBodyBytes) throw payloadTooLarge();
  }

  const headers = upstreamRequestHeaders(request.headers, {
    requestId: c.get("requestId"),
    clientIp: c.get("clientIp"),
    url,
    key: c.get("key"),
    credential,
    routeHeaders: route.upstreamHeaders,
  });
  const target = upstreamUrl(route, forwardPath, url, credential?.kind === "query" ? credential.name : undefined);

  const timer = setTimeout(() => abort.abort(), route.timeoutMs);
  let upstream: Response;
  try {
    const init: RequestInit = { method: request.method, headers, body, redirect: "manual", signal: abort.signal };
    if (route.target.kind === "service") {
      upstream = await (c.env[route.target.binding] as Fetcher).fetch(target, init);
    } else {
      upstream = await fetch(target, init);
    }
  } catch (error) {
    if (bodyTooLarge) throw payloadTooLarge();
    if (abort.signal.aborted) {
      throw new GatewayError("upstream_timeout", `The upstream did not answer within ${route.timeoutMs} ms.`);
    }
    throw new GatewayError("upstream_unreachable", "The upstream could not be reached.", { cause: error });
  } finally {
    clearTimeout(timer);
  }
  if (bodyTooLarge) {
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
