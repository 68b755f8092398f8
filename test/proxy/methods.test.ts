import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, type Echo, expectProblem, gatewayEnv } from "../support/gateway";

const gateway = gatewayEnv([
  { path: "/open/*", upstream: env.UPSTREAM_URL, auth: "none" },
  { path: "/flaky/*", upstream: env.UPSTREAM_URL, auth: "none" },
  { path: "/get-only/*", upstream: env.UPSTREAM_URL, auth: "none", methods: ["get"] },
]);

async function receivedBy(path: string): Promise<number> {
  const response = await call(gateway, `/open/__received?path=${encodeURIComponent(path)}`);
  return ((await response.json()) as { count: number }).count;
}

describe("methods", () => {
  it("forwards HEAD and returns the upstream's headers without a body", async () => {
    const response = await call(gateway, "/open/x", { method: "HEAD" });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(await response.text()).toBe("");
  });

  it("forwards OPTIONS that is not a CORS preflight to the upstream", async () => {
    const response = await call(gateway, "/open/x", { method: "OPTIONS" });
    expect(((await response.json()) as Echo).method).toBe("OPTIONS");
  });

  it.each(["PUT", "PATCH", "DELETE"])("forwards %s with its body", async (method) => {
    const response = await call(gateway, "/open/x", { method, body: "payload" });
    expect(await response.json()).toMatchObject({ method, body: "payload" });
  });

  it("matches configured methods case-insensitively and lists them in Allow", async () => {
    const response = await call(gateway, "/get-only/x", { method: "POST" });
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("GET");
  });

  it.each(["POST", "PATCH", "GET", "PUT"])("sends %s once when the upstream drops the connection: no retries", async (method) => {
    const path = `/flaky/${method}-${crypto.randomUUID()}/__reset`;
    const response = await call(gateway, path, { method, body: method === "GET" ? null : "charge the card" });
    expect(response.status).toBe(502);
    await expectProblem(response, 502, "upstream_unreachable");
    expect(await receivedBy(path)).toBe(1);
  });

  it("sends a request once when the upstream times out", async () => {
    const slow = gatewayEnv([
      { path: "/slow/*", upstream: env.UPSTREAM_URL, auth: "none", timeoutMs: 200 },
      { path: "/open/*", upstream: env.UPSTREAM_URL, auth: "none" },
    ]);
    const path = `/slow/${crypto.randomUUID()}/__hang`;
    const response = await call(slow, path, { method: "POST", body: "once" });
    expect(response.status).toBe(504);
    expect(await receivedBy(path)).toBe(1);
  });
});
