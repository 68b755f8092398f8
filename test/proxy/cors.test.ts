import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { createKey } from "../support/admin";
import { call, gatewayEnv } from "../support/gateway";

const APP = "https://app.example.com";
const gateway = gatewayEnv([
  {
    path: "/api/*",
    upstream: env.UPSTREAM_URL,
    methods: ["GET", "POST"],
    cors: {
      origins: [APP],
      headers: ["authorization", "content-type"],
      exposeHeaders: ["x-request-id", "ratelimit"],
      maxAge: 3600,
      credentials: true,
    },
  },
  { path: "/public/*", upstream: env.UPSTREAM_URL, auth: "none", cors: { origins: "*" } },
  { path: "/plain/*", upstream: env.UPSTREAM_URL, auth: "none" },
]);

const preflight = (origin: string, method = "POST", headers = "authorization, content-type") => ({
  method: "OPTIONS",
  headers: { origin, "access-control-request-method": method, "access-control-request-headers": headers },
});

let key: string;
beforeAll(async () => {
  ({ key } = await createKey(gateway));
});

describe("CORS", () => {
  it("answers a preflight from an allowed origin itself, without a key", async () => {
    const response = await call(gateway, "/api/chat", preflight(APP));
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe(APP);
    expect(response.headers.get("access-control-allow-methods")).toBe("GET, POST");
    expect(response.headers.get("access-control-allow-headers")).toBe("authorization, content-type");
    expect(response.headers.get("access-control-max-age")).toBe("3600");
    expect(response.headers.get("access-control-allow-credentials")).toBe("true");
    expect(response.headers.get("vary")).toContain("Origin");
  });

  it("gives no allow headers to a preflight from another origin or for a method the route refuses", async () => {
    for (const response of [
      await call(gateway, "/api/chat", preflight("https://evil.example")),
      await call(gateway, "/api/chat", preflight(APP, "DELETE")),
    ]) {
      expect(response.status).toBe(204);
      expect(response.headers.get("access-control-allow-origin")).toBeNull();
    }
  });

  it("echoes the requested headers when the route lists none", async () => {
    const response = await call(gateway, "/public/x", preflight("https://any.example", "PUT", "x-custom"));
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
    expect(response.headers.get("access-control-allow-headers")).toBe("x-custom");
  });

  it("adds the allow headers to proxied answers and to errors, replacing the upstream's", async () => {
    const ok = await call(gateway, "/api/__respond?h=access-control-allow-origin:*", { headers: { origin: APP, "x-api-key": key } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("access-control-allow-origin")).toBe(APP);
    expect(ok.headers.get("access-control-allow-credentials")).toBe("true");
    expect(ok.headers.get("access-control-expose-headers")).toBe("x-request-id, ratelimit");

    const unauthorized = await call(gateway, "/api/x", { headers: { origin: APP } });
    expect(unauthorized.status).toBe(401);
    expect(unauthorized.headers.get("access-control-allow-origin")).toBe(APP);
  });

  it("leaves a disallowed origin's answer without allow headers", async () => {
    const response = await call(gateway, "/api/__respond?h=access-control-allow-origin:*", {
      headers: { origin: "https://evil.example", "x-api-key": key },
    });
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("passes preflights to the upstream on routes without cors", async () => {
    const response = await call(gateway, "/plain/x", preflight(APP));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ method: "OPTIONS" });
  });
});
