import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, type Echo, gatewayEnv } from "../support/gateway";

const gateway = gatewayEnv([{ path: "/open/*", upstream: env.UPSTREAM_URL, auth: "none", headers: { "x-route": "r1" } }]);
const upstreamHost = new URL(env.UPSTREAM_URL).host;

describe("headers", () => {
  it("sets Host to the upstream's, and X-Forwarded-Host to the client's", async () => {
    const response = await call(gateway, "/open/x", { headers: { host: "gw.test" } });
    const seen = (await response.json()) as Echo;
    expect(seen.headers.host).toBe(upstreamHost);
    expect(seen.headers["x-forwarded-host"]).toBe("gw.test");
  });

  it("starts X-Forwarded-For with the connecting IP when the client sent none", async () => {
    const response = await call(gateway, "/open/x", { headers: { "cf-connecting-ip": "198.51.100.4" } });
    expect(((await response.json()) as Echo).headers["x-forwarded-for"]).toBe("198.51.100.4");
  });

  it("replaces client X-Gateway-* fields even on routes without auth", async () => {
    const response = await call(gateway, "/open/x", { headers: { "x-gateway-key-id": "key_spoofed", "x-gateway-key-owner": "admin" } });
    const seen = (await response.json()) as Echo;
    expect(seen.headers["x-gateway-key-id"]).toBeUndefined();
    expect(seen.headers["x-gateway-key-owner"]).toBeUndefined();
  });

  it("lets the route's configured headers win over the client's", async () => {
    const response = await call(gateway, "/open/x", { headers: { "x-route": "client" } });
    expect(((await response.json()) as Echo).headers["x-route"]).toBe("r1");
  });

  it("removes hop-by-hop fields from the upstream's response, including those its Connection names", async () => {
    const fields = [
      "connection:x-upstream-hop",
      "x-upstream-hop:1",
      "keep-alive:timeout=5",
      "proxy-connection:keep-alive",
      "x-end-to-end:kept",
      "set-cookie:a=1",
      "set-cookie:b=2",
    ];
    const query = fields.map((field) => `h=${encodeURIComponent(field)}`).join("&");
    const response = await call(gateway, `/open/__respond?${query}`);
    expect(response.status).toBe(200);
    for (const name of ["x-upstream-hop", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"]) {
      expect(response.headers.get(name), name).toBeNull();
    }
    expect(response.headers.get("x-end-to-end")).toBe("kept");
    expect(response.headers.getSetCookie()).toEqual(["a=1", "b=2"]);
  });
});
