import type { Context } from "hono";
import { secureHeaders } from "hono/secure-headers";
import type { AppEnv } from "../env";
import { notFound } from "../http/problem";

const PAGE = "/_gateway/dashboard/index.html";

/**
 * The dashboard may run only its own files: no inline script, nothing from another origin, no
 * framing. Inline styles stay out too (the page sets styles through the DOM, which CSP allows).
 */
export const dashboardSecurity = () =>
  secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'self'"],
      objectSrc: ["'none'"],
      baseUri: ["'none'"],
      formAction: ["'none'"],
      frameAncestors: ["'none'"],
    },
    xFrameOptions: "DENY",
  });

/** The built page and its files from the static assets: hashed files are immutable, the page itself always revalidated. */
export async function serveDashboard(c: Context<AppEnv>): Promise<Response> {
  const path = c.req.path.replace(/\/$/, "") === "/_gateway/dashboard" ? PAGE : c.req.path;
  const asset = await c.env.ASSETS.fetch(new URL(path, c.req.url), { headers: c.req.raw.headers });
  if (asset.status === 404) return notFound(c);
  const response = new Response(asset.body, asset);
  response.headers.set("cache-control", path.includes("/assets/") ? "public, max-age=31536000, immutable" : "no-cache");
  return response;
}
