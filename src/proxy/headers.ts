import type { CredentialLocation } from "../env";
import type { KeyRecord } from "../keys/record";

/** Hop-by-hop fields (RFC 9110 §7.6.1), never forwarded in either direction. */
const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "te", "transfer-encoding", "upgrade", "trailer"]);

function isWebSocketUpgrade(headers: Headers): boolean {
  return headers.get("upgrade")?.toLowerCase() === "websocket";
}

/** Hop-by-hop fields plus every field the Connection header names. */
function hopByHop(headers: Headers): Set<string> {
  const connection = headers.get("connection");
  if (!connection) return HOP_BY_HOP;
  const named = new Set(HOP_BY_HOP);
  for (const token of connection.split(",")) {
    const name = token.trim().toLowerCase();
    if (name) named.add(name);
  }
  return named;
}

export interface UpstreamHeaderContext {
  requestId: string;
  clientIp: string;
  url: URL;
  key: KeyRecord | undefined;
  credential: CredentialLocation | undefined;
  routeHeaders: ReadonlyArray<readonly [string, string]>;
}

/** The client's headers as the upstream should see them (docs/routes.md, "What the upstream receives"). */
export function upstreamRequestHeaders(incoming: Headers, ctx: UpstreamHeaderContext): Headers {
  const drop = hopByHop(incoming);
  const keepUpgrade = isWebSocketUpgrade(incoming);
  const out = new Headers();
  for (const [name, value] of incoming) {
    if (drop.has(name) && !(keepUpgrade && (name === "upgrade" || name === "connection"))) continue;
    if (name === "host" || name.startsWith("x-gateway-")) continue;
    out.append(name, value);
  }
  if (ctx.credential?.kind === "header") out.delete(ctx.credential.name);

  const forwardedFor = incoming.get("x-forwarded-for");
  out.set("x-forwarded-for", forwardedFor ? `${forwardedFor}, ${ctx.clientIp}` : ctx.clientIp);
  out.set("x-forwarded-proto", ctx.url.protocol.slice(0, -1));
  out.set("x-forwarded-host", incoming.get("host") ?? ctx.url.host);
  out.set("x-request-id", ctx.requestId);
  if (ctx.key) {
    out.set("x-gateway-key-id", ctx.key.id);
    if (ctx.key.owner !== null) out.set("x-gateway-key-owner", ctx.key.owner);
  }
  for (const [name, value] of ctx.routeHeaders) out.set(name, value);
  return out;
}

/** The upstream's response headers minus hop-by-hop fields, plus the gateway's own. */
export function clientResponseHeaders(upstream: Headers, extra: Record<string, string>): Headers {
  const drop = hopByHop(upstream);
  const out = new Headers();
  for (const [name, value] of upstream) {
    if (drop.has(name)) continue;
    if (name === "set-cookie") continue; // appended below: Headers iteration joins them
    out.append(name, value);
  }
  for (const cookie of upstream.getSetCookie()) out.append("set-cookie", cookie);
  for (const [name, value] of Object.entries(extra)) out.set(name, value);
  return out;
}
