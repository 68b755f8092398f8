// Several gateway isolates sharing one key store and one set of Durable Objects, for end-to-end
// tests of what must hold across locations (limits, revocation):
//
//   const isolates = await startGatewayIsolates({ isolates: 4, routes: (upstream) => [{ path: "/api/*", upstream }],
//                                                 settings: { LEASE_TTL_MS: "400" } });
//   await isolates.fetch(2, "/api/x", { headers: { "x-api-key": key } });   // through worker 2's own socket
//   await isolates.dispose();
//
// One miniflare runs N workers built from the real bundle (scripts/build.ts), each its own
// isolate on its own socket; all share one D1 database (migrations applied) and the first
// worker's Durable Object namespaces (the others bind them by `scriptName`), in front of the
// real echo upstream (dev/echo-upstream.ts). `settings` are vars layered over wrangler.toml's.

import { beforeAll } from "vitest";
import { type EchoUpstream, startEchoUpstream } from "../../dev/echo-upstream.ts";
import type { LocalGateway } from "../../dev/local-gateway.ts";
import type { RouteInput } from "../../src/config/schema.ts";
import { startGateway } from "../e2e/support/gateway.ts";
import { ownApiPath, SHARED_ADMIN_TOKEN, sharedGateway, type UpstreamCounter } from "../e2e/support/shared-gateway.ts";

/** The admin token of every gateway started here, and of the shared ones. */
export const ISOLATES_ADMIN_TOKEN = SHARED_ADMIN_TOKEN;

export interface GatewayIsolatesOptions {
  isolates: number;
  routes: (upstreamUrl: string) => RouteInput[];
  /** Scalar settings for this run, e.g. `{ LEASE_TTL_MS: "400" }`. */
  settings?: Record<string, string>;
}

/** Isolates to send through: their origins, requests and admin calls. */
export interface IsolatesClient {
  /** Each isolate's own origin, isolate 0 first. */
  urls: string[];
  /** One request through isolate `index`'s socket. */
  fetch(index: number, path: string, init?: RequestInit): Promise<Response>;
  /** An admin call through isolate `index`, with the run's admin token. */
  admin(index: number, method: string, path: string, body?: unknown): Promise<Response>;
  createKey(body: Record<string, unknown>): Promise<{ key: string; id: string }>;
  /** What the key's object has left of one of its limits (`GET /keys/:id/limits`): units leased out count as used. */
  remaining(keyId: string, limitName: string): Promise<number>;
}

export interface GatewayIsolates extends IsolatesClient {
  upstream: EchoUpstream;
  gateway: LocalGateway;
  dispose(): Promise<void>;
}

/** A file's isolates on a gateway shared with other files: its own `/api/` path, counted at the upstream. */
export interface FileIsolates extends IsolatesClient {
  /** The file's proxied path: send through it so that `upstream` counts this file's requests only. */
  apiPath: string;
  upstream: UpstreamCounter;
}

function isolatesClient(urls: string[], adminToken: string): IsolatesClient {
  const fetchVia = (index: number, path: string, init?: RequestInit) => {
    const origin = urls[index];
    if (!origin) throw new Error(`no isolate ${index}: this run has ${urls.length}`);
    return fetch(`${origin}${path}`, init);
  };
  const admin = (index: number, method: string, path: string, body?: unknown) =>
    fetchVia(index, `/_gateway/admin${path}`, {
      method,
      headers: { authorization: `Bearer ${adminToken}`, ...(body !== undefined && { "content-type": "application/json" }) },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
  return {
    urls,
    fetch: fetchVia,
    admin,
    async createKey(body) {
      const response = await admin(0, "POST", "/keys", { name: "isolates", ...body });
      if (response.status !== 201) throw new Error(`create key: ${response.status} ${await response.text()}`);
      return (await response.json()) as { key: string; id: string };
    },
    async remaining(keyId, limitName) {
      const response = await admin(0, "GET", `/keys/${keyId}/limits`);
      if (response.status !== 200) throw new Error(`key limits: ${response.status} ${await response.text()}`);
      const { rateLimits } = (await response.json()) as { rateLimits: { name: string; remaining: number }[] };
      const limit = rateLimits.find((l) => l.name === limitName);
      if (!limit) throw new Error(`key ${keyId} has no limit ${limitName}`);
      return limit.remaining;
    },
  };
}

export async function startGatewayIsolates(options: GatewayIsolatesOptions): Promise<GatewayIsolates> {
  const upstream = await startEchoUpstream();
  const gateway = await startGateway({
    isolates: options.isolates,
    bindings: { ADMIN_TOKEN: ISOLATES_ADMIN_TOKEN, GATEWAY_ROUTES: JSON.stringify(options.routes(upstream.url)), ...options.settings },
  });
  return {
    ...isolatesClient(gateway.directUrls, ISOLATES_ADMIN_TOKEN),
    upstream,
    gateway,
    async dispose() {
      await gateway.dispose();
      await upstream.close();
    },
  };
}

/**
 * For an e2e file: `count` isolates on one `/api/*` route (prefix stripped) with `LEASE_TTL_MS`, shared with
 * every file asking for the same `count` and `leaseTtlMs` (test/e2e/support/shared-gateway.ts), ready before
 * the file's tests. Read it inside tests only: it throws before they start.
 */
export function isolatesForFile(count: number, leaseTtlMs: number): FileIsolates {
  let ready: FileIsolates | undefined;
  beforeAll(async () => {
    const shared = await sharedGateway({ isolates: count, settings: { LEASE_TTL_MS: String(leaseTtlMs) } });
    ready = { ...isolatesClient(shared.urls, ISOLATES_ADMIN_TOKEN), ...ownApiPath(shared.upstreamUrl) };
  });
  return new Proxy({} as FileIsolates, {
    get(_target, property) {
      if (!ready) throw new Error("the isolates start in beforeAll: read them inside a test");
      return Reflect.get(ready, property);
    },
  });
}
