import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { createKey } from "../support/admin";
import { call, type Echo, expectProblem, gatewayEnv } from "../support/gateway";

const gateway = gatewayEnv([
  {
    path: "/api/*",
    upstream: env.UPSTREAM_URL,
    stripPrefix: true,
    headers: { authorization: "Bearer ${UPSTREAM_TOKEN}", "x-tenant": "acme" },
  },
  { path: "/based/*", upstream: `${env.UPSTREAM_URL}/base/path`, stripPrefix: true },
  { path: "/keep/*", upstream: env.UPSTREAM_URL },
  { path: "/slow/*", upstream: env.UPSTREAM_URL, timeoutMs: 300 },
  { path: "/down/*", upstream: "http://127.0.0.1:1" },
  { path: "/readonly/*", upstream: env.UPSTREAM_URL, methods: ["GET", "HEAD"] },
  { path: "/small/*", upstream: env.UPSTREAM_URL, maxBodyBytes: 10 },
]);

let key: string;
let keyId: string;
beforeAll(async () => {
  ({ key, id: keyId } = await createKey(gateway, { owner: "acme-app" }));
});

async function echo(path: string, init: RequestInit = {}): Promise<Echo> {
  const response = await call(gateway, path, { ...init, headers: { "x-api-key": key, ...(init.headers as Record<string, string>) } });
  expect(response.status).toBe(200);
  return response.json();
}

describe("proxying", () => {
  it("forwards method, stripped path, query and body", async () => {
    const seen = await echo("/api/users/7?expand=a&expand=b", {
      method: "POST",
      body: '{"hello":"world"}',
      headers: { "content-type": "application/json" },
    });
    expect(seen).toMatchObject({ method: "POST", path: "/users/7", query: { expand: ["a", "b"] }, body: '{"hello":"world"}' });
  });

  it("keeps the path when stripPrefix is off and prepends the upstream's base path", async () => {
    expect((await echo("/keep/a/b")).path).toBe("/keep/a/b");
    expect((await echo("/based/a")).path).toBe("/base/path/a");
  });

  it("removes the credential that authenticated the request", async () => {
    for (const headers of [{ authorization: `api-key ${key}` }, { "x-api-key": key }] as Record<string, string>[]) {
      const response = await call(gateway, "/keep/x", { headers });
      const seen = (await response.json()) as Echo;
      expect(JSON.stringify(seen)).not.toContain(key);
    }
  });

  it("removes hop-by-hop fields, those named by Connection, and client X-Gateway-* fields", async () => {
    const seen = await echo("/keep/x", {
      headers: {
        connection: "keep-alive, x-secret-hop",
        "keep-alive": "timeout=5",
        "proxy-connection": "keep-alive",
        te: "trailers",
        upgrade: "h2c",
        "x-secret-hop": "1",
        "x-gateway-key-id": "key_spoofed",
        "x-gateway-anything": "spoof",
        "x-kept": "yes",
      },
    });
    for (const name of ["keep-alive", "proxy-connection", "te", "upgrade", "x-secret-hop", "x-gateway-anything"]) {
      expect(seen.headers[name], name).toBeUndefined();
    }
    expect(seen.headers["x-gateway-key-id"]).toBe(keyId);
    expect(seen.headers["x-kept"]).toBe("yes");
  });

  it("adds forwarding, request id, key and route headers with secrets resolved", async () => {
    const seen = await echo("/api/x", { headers: { "x-forwarded-for": "203.0.113.9", "cf-connecting-ip": "198.51.100.4" } });
    expect(seen.headers["x-forwarded-for"]).toBe("203.0.113.9, 198.51.100.4");
    expect(seen.headers["x-forwarded-proto"]).toBe("https");
    expect(seen.headers["x-forwarded-host"]).toBe("gw.test");
    expect(seen.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(seen.headers["x-gateway-key-id"]).toBe(keyId);
    expect(seen.headers["x-gateway-key-owner"]).toBe("acme-app");
    expect(seen.headers.authorization).toBe("Bearer upstream-secret-token");
    expect(seen.headers["x-tenant"]).toBe("acme");
  });

  it("returns the same request id to the client as to the upstream", async () => {
    const response = await call(gateway, "/keep/x", { headers: { "x-api-key": key } });
    const seen = (await response.json()) as Echo;
    expect(response.headers.get("x-request-id")).toBe(seen.headers["x-request-id"]);
  });

  it("passes upstream statuses and redirects through without following them", async () => {
    const redirect = await call(gateway, "/keep/__redirect", { headers: { "x-api-key": key } });
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get("location")).toBe("https://elsewhere.example/next");
    const teapot = await call(gateway, "/keep/__status?code=418", { headers: { "x-api-key": key } });
    expect(teapot.status).toBe(418);
  });

  it("answers 504 upstream_timeout when the upstream does not answer in time", async () => {
    const response = await call(gateway, "/slow/__hang", { headers: { "x-api-key": key } });
    expect(response.status).toBe(504);
    await expectProblem(response, 504, "upstream_timeout");
  });

  it("times only the upstream's answer: a response that streams past timeoutMs arrives whole, with or without a request body", async () => {
    for (const init of [{}, { method: "POST", body: "payload" }] as RequestInit[]) {
      const response = await call(gateway, "/slow/__slow?ms=700", { ...init, headers: { "x-api-key": key } });
      expect(response.status).toBe(200);
      expect(await response.text()).toBe("first\nlast\n");
    }
  });

  it("answers 502 upstream_unreachable when the upstream refuses the connection", async () => {
    const response = await call(gateway, "/down/x", { headers: { "x-api-key": key } });
    expect(response.status).toBe(502);
    const body = await expectProblem(response, 502, "upstream_unreachable");
    expect(body.detail).not.toMatch(/ECONNREFUSED|Error|at /);
  });

  it("answers 405 with Allow for a method the route does not allow", async () => {
    const response = await call(gateway, "/readonly/x", { method: "DELETE", headers: { "x-api-key": key } });
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("GET, HEAD");
    await expectProblem(response, 405, "method_not_allowed");
  });

  it("answers 413 for a body over maxBodyBytes", async () => {
    const response = await call(gateway, "/small/x", { method: "POST", body: "x".repeat(11), headers: { "x-api-key": key } });
    expect(response.status).toBe(413);
    await expectProblem(response, 413, "payload_too_large");
  });

  it("answers 404 no_route for a path no route matches", async () => {
    const response = await call(gateway, "/nowhere", { headers: { "x-api-key": key } });
    expect(response.status).toBe(404);
    await expectProblem(response, 404, "no_route");
  });

  it("never proxies /_gateway/ paths", async () => {
    const response = await call(gateway, "/_gateway/unknown");
    expect(response.status).toBe(404);
    await expectProblem(response, 404, "no_route");
  });
});
