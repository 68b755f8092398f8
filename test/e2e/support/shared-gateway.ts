// One built gateway per configuration for the whole e2e run, shared by every file that asks for the
// same one: the e2e globalSetup starts it on the first request and disposes it after the run
// (test/e2e/support/global-setup.ts), so a file pays no workerd boot of its own. Files sharing it
// use their own keys, identities and upstream path (`apiPath`), never totals of the gateway.
import { inject } from "vitest";

/** The admin token of every shared gateway. */
export const SHARED_ADMIN_TOKEN = "shared-e2e-admin-token";

/** What decides whether two files can share a gateway: every one routes `/api/*` (prefix stripped) to the shared echo upstream. */
export interface SharedGatewaySpec {
  /** Gateway workers, each its own isolate on its own socket (dev/local-gateway.ts `isolates`). */
  isolates: number;
  /** Vars over wrangler.toml's, e.g. `{ LEASE_TTL_MS: "1000" }`. */
  settings: Record<string, string>;
}

export interface SharedGateway {
  /** Miniflare's entry, in front of isolate 0. */
  url: string;
  /** Each isolate's own origin, isolate 0 first. */
  urls: string[];
  /** The echo upstream (dev/echo-upstream.ts) behind `/api/*`. */
  upstreamUrl: string;
}

export async function sharedGateway(spec: SharedGatewaySpec): Promise<SharedGateway> {
  const response = await fetch(inject("gatewayBroker"), { method: "POST", body: JSON.stringify(spec) });
  if (!response.ok) throw new Error(`shared gateway: ${response.status} ${await response.text()}`);
  return (await response.json()) as SharedGateway;
}

/** Requests the upstream received on one exact path, since the counter was made or last reset. */
export interface UpstreamCounter {
  reset(): Promise<void>;
  received(): Promise<number>;
}

/**
 * A proxied path of this file's own (`/api/<tag>`, reaching the upstream as `/<tag>`), and a counter of
 * what reached the upstream on it: the upstream counts by path, so files sharing it never see each other's.
 */
export function ownApiPath(upstreamUrl: string): { apiPath: string; upstream: UpstreamCounter } {
  const tag = `t-${crypto.randomUUID()}`;
  const count = async () =>
    ((await (await fetch(`${upstreamUrl}/__received?path=${encodeURIComponent(`/${tag}`)}`)).json()) as { count: number }).count;
  let base = 0;
  return {
    apiPath: `/api/${tag}`,
    upstream: {
      async reset() {
        base = await count();
      },
      async received() {
        return (await count()) - base;
      },
    },
  };
}
