import type { Context } from "hono";
import type { AppEnv } from "../env";
import { GatewayError } from "../errors";
import { rateLimitHeaders } from "../ratelimit/decision";
import type { Route } from "../config/routes";
import { clientResponseHeaders, upstreamRequestHeaders } from "./headers";

const BODYLESS = new Set(["GET", "HEAD"]);

class BodyTooLarge extends Error {}

/** Passes the body through untouched, failing once more than `max` bytes have gone by. */
function capBody(body: ReadableStream<Uint8Array>, max: number, onExceeded: () => void): ReadableStream<Uint8Array> {
  let seen = 0;
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      seen += chunk.byteLength;
      if (seen > max) {
        onExceeded();
        controller.error(new BodyTooLarge());
        return;
      }
      controller.enqueue(chunk);
    },
  });
  body.pipeTo(writable).catch(() => {}); // the failure surfaces through `readable` to fetch
  return readable;
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

/** Sends the request to the route's upstream and streams the answer back (CONTRACT §7). */
export async function forwardRequest(c: Context<AppEnv>): Promise<Response> {
  const { route, forwardPath } = c.var.route;
  const request = c.req.raw;
  const url = new URL(request.url);
  const credential = c.var.credentialSource;

  let body: ReadableStream<Uint8Array> | null = BODYLESS.has(request.method) ? null : request.body;
  let tooLarge = false;
  if (route.maxBodyBytes !== undefined && body) {
    const declared = Number(request.headers.get("content-length") ?? NaN);
    if (declared > route.maxBodyBytes) {
      throw new GatewayError("payload_too_large", `The request body exceeds ${route.maxBodyBytes} bytes.`);
    }
    body = capBody(body, route.maxBodyBytes, () => (tooLarge = true));
  }

  const headers = upstreamRequestHeaders(request.headers, {
    requestId: c.var.requestId,
    clientIp: c.var.clientIp,
    url,
    key: c.var.key,
    credential,
    routeHeaders: route.upstreamHeaders,
  });
  const target = upstreamUrl(route, forwardPath, url, credential?.kind === "query" ? credential.name : undefined);

  const abort = new AbortController();
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
    if (tooLarge) throw new GatewayError("payload_too_large", `The request body exceeds ${route.maxBodyBytes} bytes.`);
    if (abort.signal.aborted) {
      throw new GatewayError("upstream_timeout", `The upstream did not answer within ${route.timeoutMs} ms.`);
    }
    throw new GatewayError("upstream_unreachable", "The upstream could not be reached.", { cause: error });
  } finally {
    clearTimeout(timer);
  }
  if (tooLarge) {
    // The upstream answered before the cap cut its body short: the client still gets the 413.
    await upstream.body?.cancel();
    throw new GatewayError("payload_too_large", `The request body exceeds ${route.maxBodyBytes} bytes.`);
  }

  if (upstream.status === 101) return upstream; // a WebSocket: the runtime joins the two sockets

  const extra: Record<string, string> = { "x-request-id": c.var.requestId };
  if (c.var.limits) Object.assign(extra, rateLimitHeaders(c.var.limits));
  return new Response(upstream.body, {
    status: upstream.status,
    statusText: upstream.statusText,
    headers: clientResponseHeaders(upstream.headers, extra),
  });
}
