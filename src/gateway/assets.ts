// The built pages (dashboard, portal, API reference) served from the ASSETS binding with their caching, and the
// security headers every page gets (docs/dashboard.md § Security headers).
import type { Context } from "hono";
import { secureHeaders } from "hono/secure-headers";
import type { GatewayEnv } from "../env";
import { GatewayError } from "../errors";

/** A page's own path (`/_gateway/dashboard`, `/_gateway/portal`, with or without the slash) serves its index.html. */
const PAGE_PATH = /^\/_gateway\/(dashboard|portal)\/?$/;

/**
 * Pages may run only the gateway's own files: no inline script, nothing from another origin, no
 * framing. `inlineStyles` admits the `<style>` elements a library injects (the API reference's);
 * `forms` lets the page's forms post to its own origin and sends its `Origin` with its own writes
 * (the portal, which refuses writes without it): under `no-referrer` browsers send `Origin: null`.
 */
export const pageSecurity = ({ inlineStyles = false, forms = false } = {}) =>
  secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'self'"],
      ...(inlineStyles && { styleSrc: ["'self'", "'unsafe-inline'"] }),
      objectSrc: ["'none'"],
      baseUri: ["'none'"],
      formAction: [forms ? "'self'" : "'none'"],
      frameAncestors: ["'none'"],
    },
    xFrameOptions: "DENY",
    referrerPolicy: forms ? "same-origin" : "no-referrer",
  });

/** A built file from the static assets (wrangler.toml [assets]): hashed files are immutable, the rest revalidated. */
export async function serveAsset(c: Context<GatewayEnv>): Promise<Response> {
  const page = PAGE_PATH.exec(c.req.path)?.[1];
  const path = page ? `/_gateway/${page}/index.html` : c.req.path;
  const asset = await c.env.ASSETS.fetch(new URL(path, c.req.url), { headers: c.req.raw.headers });
  if (asset.status === 404) throw new GatewayError("no_route", `No route matches ${c.req.method} ${c.req.path}.`);
  const response = new Response(asset.body, asset);
  response.headers.set("cache-control", path.includes("/assets/") ? "public, max-age=31536000, immutable" : "no-cache");
  return response;
}
