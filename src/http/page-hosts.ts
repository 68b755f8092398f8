// Separate hosts for the gateway's pages (docs/portal.md § Hosts). A page that shares its origin with
// proxied content can be taken over by it: a proxied response can register a service worker whose
// scope covers the page and read everything it sends (the dashboard's operator token, a customer's
// session). With DASHBOARD_HOST / PORTAL_HOST set, each page is served only on its own host, and
// that host serves nothing else: no proxied route, no other page, no admin API but what its page calls.
import { createMiddleware } from "hono/factory";
import type { ConfigVariables } from "../config/middleware";
import { GatewayError } from "../errors";
import type { PathVariables } from "../proxy/path-safety";

/** What each page's host serves: the page and what the page itself calls. */
const DASHBOARD_PATHS = ["/_gateway/dashboard", "/_gateway/admin", "/_gateway/openapi.json", "/_gateway/docs"];
const PORTAL_PATHS = ["/_gateway/portal"];

const under = (path: string, prefixes: string[]) => prefixes.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));

/** A configured host matches with its port if it names one, else any port of that name. */
function sameHost(configured: string | undefined, url: URL): boolean {
  if (!configured) return false;
  return configured.includes(":") ? configured === url.host : configured === url.hostname;
}

/** Keeps each page on its own host and that host for its page alone; a no-op while neither host is set. */
export function pageHosts() {
  return createMiddleware<{ Variables: ConfigVariables & PathVariables }>(function pageHosts(c, next) {
    const { dashboard, portal } = c.get("config").pageHosts;
    if (!dashboard && !portal) return next();
    const url = new URL(c.req.url);
    // Compared in lower case: a differently spelt path must not slip past to the proxy or the other page.
    const path = c.get("path").toLowerCase();
    let served: boolean;
    if (sameHost(portal, url)) served = under(path, PORTAL_PATHS);
    else if (sameHost(dashboard, url)) served = under(path, DASHBOARD_PATHS);
    else served = !(portal && under(path, PORTAL_PATHS)) && !(dashboard && under(path, ["/_gateway/dashboard"]));
    if (!served) throw new GatewayError("no_route", `No route matches ${c.req.method} ${c.req.path} on this host.`);
    return next();
  });
}
