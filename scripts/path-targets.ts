// The gateway paths scripts/path-cost.ts and scripts/profile-path.ts load: a target name says the
// path (keyed, keyed-no-limits, open) and the bindings the gateway runs with (`-no-assets`, `-no-usage`).
import { ADMIN_TOKEN, createBenchKey } from "../bench/gateway.ts";
import { withNewChild } from "../bench/proc-cpu.ts";
import { type StorageDir, withTmpdir } from "../bench/storage.ts";
import { startLocalGateway } from "../dev/local-gateway.ts";

/**
 * keyed: a warm key with a limit, leased (what `npm run bench` runs as (c)); keyed-no-limits: a key
 * without limits or quota; open: a route with `auth: "none"`. `-no-assets` runs without wrangler.toml's
 * [assets], whose router worker miniflare runs in front of the gateway; `-no-usage` without `USAGE`.
 */
export type PathKind = "keyed" | "keyed-no-limits" | "open";

export interface PathTarget {
  kind: PathKind;
  assets: boolean;
  usage: boolean;
}

export function parsePathTarget(name: string): PathTarget {
  const match = /^(keyed-no-limits|keyed|open)(-no-assets)?(-no-usage)?$/.exec(name);
  if (!match) throw new Error(`unknown target ${name}: keyed, keyed-no-limits or open, then -no-assets and/or -no-usage`);
  return { kind: match[1] as PathKind, assets: !match[2], usage: !match[3] };
}

/** A gateway serving every path kind (/bench/* keyed, /open/* without auth), in its own workerd process. */
export function startPathGateway(upstreamUrl: string, storage: StorageDir, bundle: string, { assets, usage }: Omit<PathTarget, "kind">) {
  const routes = [
    { path: "/bench/*", upstream: upstreamUrl, stripPrefix: true },
    { path: "/open/*", upstream: upstreamUrl, stripPrefix: true, auth: "none" },
  ];
  return withNewChild("workerd", () =>
    withTmpdir(storage, () =>
      startLocalGateway({ scriptPath: bundle, assets, usage, bindings: { ADMIN_TOKEN, GATEWAY_ROUTES: JSON.stringify(routes) } }),
    ),
  );
}

/** The URL and headers of one path kind on a started gateway (a new key for the keyed kinds). */
export async function pathRequest(gatewayUrl: string, kind: PathKind): Promise<{ url: string; headers?: Record<string, string> }> {
  if (kind === "open") return { url: `${gatewayUrl}/open/hello` };
  const key = kind === "keyed" ? await createBenchKey(gatewayUrl) : await createBenchKey(gatewayUrl, "bench-no-limits", []);
  return { url: `${gatewayUrl}/bench/hello`, headers: { authorization: `Bearer ${key}` } };
}
