// Routes compiled from the route table (docs/routes.md): upstream target, methods and CORS worked out once, and the
// longest-prefix `Router` the proxy path matches requests with.
import { type CorsPolicy, compileCors } from "../proxy/cors";
import type { RouteConfig } from "./schema";

export type UpstreamTarget = { kind: "url"; origin: string; basePath: string } | { kind: "service"; binding: string };

export interface Route extends RouteConfig {
  /** The path without its trailing `*`, and without a trailing slash for prefixes. */
  prefix: string;
  exact: boolean;
  target: UpstreamTarget;
  /** Upstream headers with `${SECRET}` already replaced. */
  upstreamHeaders: ReadonlyArray<readonly [string, string]>;
  methodSet: ReadonlySet<string> | undefined;
  allowHeader: string | undefined;
  corsPolicy: CorsPolicy | undefined;
}

export interface RouteMatch {
  route: Route;
  /** The path the upstream receives, before its base path is prepended. */
  forwardPath: string;
}

export function parseUpstream(upstream: string): UpstreamTarget {
  if (upstream.startsWith("service:")) return { kind: "service", binding: upstream.slice("service:".length) };
  const url = new URL(upstream);
  return { kind: "url", origin: url.origin, basePath: url.pathname.replace(/\/+$/, "") };
}

export function compileRoute(config: RouteConfig, upstreamHeaders: Route["upstreamHeaders"]): Route {
  const exact = !config.path.endsWith("*");
  const prefix = exact ? config.path : config.path.slice(0, -1).replace(/\/+$/, "");
  const methodSet = config.methods ? new Set(config.methods) : undefined;
  return {
    ...config,
    prefix,
    exact,
    target: parseUpstream(config.upstream),
    upstreamHeaders,
    methodSet,
    allowHeader: config.methods ? [...new Set(config.methods)].join(", ") : undefined,
    corsPolicy: config.cors ? compileCors(config.cors, config.methods) : undefined,
  };
}

/** Exact paths first, then prefixes longest first: the first match is the longest. */
export class Router {
  private readonly exact = new Map<string, Route>();
  private readonly prefixes: Route[];

  constructor(routes: Route[]) {
    for (const route of routes) if (route.exact && !this.exact.has(route.path)) this.exact.set(route.path, route);
    this.prefixes = routes.filter((r) => !r.exact).sort((a, b) => b.prefix.length - a.prefix.length);
  }

  match(pathname: string): RouteMatch | undefined {
    const exact = this.exact.get(pathname);
    if (exact) return { route: exact, forwardPath: exact.stripPrefix ? "/" : pathname };
    for (const route of this.prefixes) {
      const { prefix } = route;
      // "/v1/*" matches "/v1" and "/v1/…", never "/v10".
      if (pathname === prefix || pathname.startsWith(`${prefix}/`) || prefix === "") {
        const rest = pathname.slice(prefix.length);
        const forwardPath = route.stripPrefix ? (rest.startsWith("/") ? rest : `/${rest}`) : pathname;
        return { route, forwardPath };
      }
    }
    return undefined;
  }
}
