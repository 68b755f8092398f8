// Header rewriting both ways (docs/routes.md § What the upstream receives): towards the upstream, credentials, hop-by-hop
// and client-sent X-Gateway-* fields out, forwarding and key fields in; towards the client, the request id and rate limits in.
import type { CredentialSource } from "../config/settings";
import type { CredentialLocation } from "../env";
import { credentialHeaderNames, holdsGatewayKey } from "../keys/credentials";
import type { KeyRecord } from "../keys/record";

/** Hop-by-hop fields (RFC 9110 §7.6.1), never forwarded in either direction. */
const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "te", "transfer-encoding", "upgrade", "trailer"]);

function isWebSocketUpgrade(headers: Headers): boolean {
  return headers.get("upgrade")?.toLowerCase() === "websocket";
}

/** Connection values that name no field beyond HOP_BY_HOP: what keep-alive clients and servers send on every message. */
const PLAIN_CONNECTION = new Set(["keep-alive", "close"]);

/** Hop-by-hop fields plus every field the Connection header names. */
function hopByHop(headers: Headers): ReadonlySet<string> {
  const connection = headers.get("connection");
  if (!connection || PLAIN_CONNECTION.has(connection.toLowerCase())) return HOP_BY_HOP;
  const named = new Set(HOP_BY_HOP);
  for (const token of connection.split(",")) {
    const name = token.trim().toLowerCase();
    if (name) named.add(name);
  }
  return named;
}

/** Runs outside visible ASCII (0x21-0x7E), and `%` itself, so that decoding gives the value back. */
const NOT_HEADER_SAFE = /[^\x21-\x24\x26-\x7e]+/g;
const utf8 = new TextEncoder();

/**
 * A key field as a header value (docs/routes.md): UTF-8 percent-encoded outside visible ASCII, so a
 * non-ASCII owner arrives intact and a control character (stored before writes refused them) cannot break the request.
 */
export function headerSafe(value: string): string {
  return value.replace(NOT_HEADER_SAFE, (run) =>
    Array.from(utf8.encode(run), (byte) => `%${byte.toString(16).toUpperCase().padStart(2, "0")}`).join(""),
  );
}

export interface UpstreamHeaderContext {
  requestId: string;
  clientIp: string;
  /** The request's URL as the runtime received it. */
  url: string;
  key: KeyRecord | undefined;
  credential: CredentialLocation | undefined;
  credentialSources: CredentialSource[];
  /** The registered import prefixes: values of their keys' shape are removed like the gateway's own keys. */
  importPrefixes: ReadonlySet<string>;
  routeHeaders: ReadonlyArray<readonly [string, string]>;
}

/**
 * Turns `out`, a copy of the client's headers, into what the upstream should see (docs/routes.md,
 * "What the upstream receives"): deletes of the few fields that must not pass are cheaper per request than appending each kept one.
 */
export function toUpstreamHeaders(out: Headers, incoming: Headers, ctx: UpstreamHeaderContext): void {
  const drop = hopByHop(incoming);
  const keepUpgrade = isWebSocketUpgrade(incoming);
  for (const name of incoming.keys()) {
    if (drop.has(name) && !(keepUpgrade && (name === "upgrade" || name === "connection"))) out.delete(name);
    else if (name === "host" || name === "proxy-authorization" || name.startsWith("x-gateway-")) out.delete(name);
  }
  // The authenticating field always goes (an imported key may not have the gateway's shape); any
  // other credential field goes when it holds a gateway key, so an upstream's own token still passes.
  if (ctx.credential?.kind === "header") out.delete(ctx.credential.name);
  for (const name of credentialHeaderNames(ctx.credentialSources)) {
    const value = out.get(name);
    if (value !== null && holdsGatewayKey(value, ctx.importPrefixes)) out.delete(name);
  }

  const forwardedFor = incoming.get("x-forwarded-for");
  out.set("x-forwarded-for", forwardedFor ? `${forwardedFor}, ${ctx.clientIp}` : ctx.clientIp);
  out.set("x-forwarded-proto", ctx.url.slice(0, ctx.url.indexOf(":")));
  out.set("x-forwarded-host", incoming.get("host") ?? new URL(ctx.url).host);
  out.set("x-request-id", ctx.requestId);
  if (ctx.key) {
    out.set("x-gateway-key-id", ctx.key.id);
    if (ctx.key.owner !== null) out.set("x-gateway-key-owner", headerSafe(ctx.key.owner));
  }
  for (const [name, value] of ctx.routeHeaders) out.set(name, value);
}

/**
 * Turns a copy of the upstream's response headers into the client's: hop-by-hop fields out, the gateway's own in.
 * `Service-Worker-Allowed` goes too: it would let proxied content register a worker over the whole origin (docs/security.md).
 */
export function toClientHeaders(headers: Headers, requestId: string, rateLimit: Record<string, string> | undefined): void {
  for (const name of hopByHop(headers)) headers.delete(name);
  headers.delete("service-worker-allowed");
  headers.set("x-request-id", requestId);
  if (rateLimit) for (const name in rateLimit) headers.set(name, rateLimit[name]!);
}
