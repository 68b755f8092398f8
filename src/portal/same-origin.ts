// Cross-site request forgery guard for the customers' portal (docs/portal.md): every write must come
// from the portal's own page. hono/csrf checks only form-like bodies and lets a request without
// `Origin` through; here a write needs an `Origin` equal to the portal's own, whatever its body.
// Chromium sends no `Origin` with a same-origin fetch() POST (its page's own writes): it sends
// `Sec-Fetch-Site: same-origin`, which no page script can set either, and that stands in for it.
import { createMiddleware } from "hono/factory";
import { GatewayError } from "../errors";

const READS = new Set(["GET", "HEAD", "OPTIONS"]);

/** Refuses a write (any method but GET, HEAD, OPTIONS) without a same-origin `Origin`: `403 cross_site_request`. */
export function sameOriginWrites() {
  return createMiddleware(function sameOriginWrites(c, next) {
    if (READS.has(c.req.method)) return next();
    const origin = c.req.header("origin");
    if (origin === undefined && c.req.header("sec-fetch-site") === "same-origin") return next();
    if (origin !== new URL(c.req.url).origin) {
      const why = origin ? "comes from another origin" : "has no Origin header";
      throw new GatewayError("cross_site_request", `This write ${why}: the portal accepts writes from its own page only.`);
    }
    return next();
  });
}
