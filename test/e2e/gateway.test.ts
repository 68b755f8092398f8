// The built gateway on workerd, on a real socket, in front of a real upstream on loopback,
// driven by an ordinary HTTP client.
import { beforeAll, describe, expect, it } from "vitest";
import {
  SHARED_ADMIN_TOKEN as ADMIN_TOKEN,
  ownApiPath,
  type SharedGateway,
  sharedGateway,
  type UpstreamCounter,
} from "./support/shared-gateway.ts";

let gateway: SharedGateway;
/** This file's own path under `/api/`, and what the upstream received on it. */
let apiPath: string;
let upstream: UpstreamCounter;

beforeAll(async () => {
  gateway = await sharedGateway({ isolates: 1, settings: {} });
  ({ apiPath, upstream } = ownApiPath(gateway.upstreamUrl));
});

async function createKey(body: object): Promise<{ key: string; id: string }> {
  const response = await fetch(`${gateway.url}/_gateway/admin/keys`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(201);
  return (await response.json()) as { key: string; id: string };
}

describe("gateway on a real socket", () => {
  it("creates a key, proxies, limits, and refuses the key once revoked", async () => {
    const { key, id } = await createKey({ name: "e2e", rateLimits: [{ name: "minute", limit: 5, window: 60 }] });
    await upstream.reset();

    const first = await fetch(`${gateway.url}${apiPath}?page=2`, { headers: { authorization: `api-key ${key}` } });
    expect(first.status).toBe(200);
    expect(first.headers.get("ratelimit-policy")).toBe('"minute";q=5;w=60');
    const seen = (await first.json()) as { path: string; query: object; headers: Record<string, string> };
    expect(`/api${seen.path}`).toBe(apiPath);
    expect(seen.query).toEqual({ page: "2" });
    expect(seen.headers.authorization).toBeUndefined();
    expect(seen.headers["x-gateway-key-id"]).toBe(id);

    const rest = await Promise.all(
      Array.from({ length: 20 }, () =>
        fetch(`${gateway.url}${apiPath}`, { headers: { "x-api-key": key } }).then(async (r) => {
          await r.arrayBuffer();
          return r.status;
        }),
      ),
    );
    expect(rest.filter((s) => s === 200)).toHaveLength(4);
    expect(rest.filter((s) => s === 429)).toHaveLength(16);
    expect(await upstream.received()).toBe(5); // the upstream saw exactly what was admitted

    const revoked = await fetch(`${gateway.url}/_gateway/admin/keys/${id}`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(revoked.status).toBe(204);
    const refused = await fetch(`${gateway.url}/api/items`, { headers: { "x-api-key": key } });
    expect(refused.status).toBe(401);
    expect(refused.headers.get("content-type")).toBe("application/problem+json");
    expect(((await refused.json()) as { code: string }).code).toBe("revoked_key");
  });

  it("streams a slow upstream's first bytes before it finishes", async () => {
    const { key } = await createKey({ name: "stream" });
    const started = Date.now();
    // Identity: miniflare's local entry gzips text for clients that accept it, buffering the whole body.
    const response = await fetch(`${gateway.url}/api/__slow?ms=1500`, { headers: { "x-api-key": key, "accept-encoding": "identity" } });
    const reader = response.body!.getReader();
    const first = await reader.read();
    const firstAt = Date.now() - started;
    expect(new TextDecoder().decode(first.value)).toContain("first");
    expect(firstAt).toBeLessThan(1200);
    while (!(await reader.read()).done);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
  });

  it("refuses admin calls without the admin token", async () => {
    const response = await fetch(`${gateway.url}/_gateway/admin/keys`, { method: "POST", body: "{}" });
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toMatch(/^Bearer realm=/);
  });
});
