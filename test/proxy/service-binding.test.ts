import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, gatewayEnv } from "../support/gateway";

interface ServiceEcho {
  via: string;
  method: string;
  path: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}

const gateway = gatewayEnv([
  {
    path: "/svc/*",
    upstream: "service:SERVICE_UPSTREAM",
    auth: "none",
    stripPrefix: true,
    headers: { authorization: "Bearer ${UPSTREAM_TOKEN}" },
  },
]);

describe("service binding upstreams", () => {
  it("sends the request to the bound worker with path, query, body and route headers", async () => {
    const response = await call(gateway, "/svc/users/7?x=1", {
      method: "POST",
      body: "hi",
      headers: { "cf-connecting-ip": "198.51.100.4" },
    });
    expect(response.status).toBe(200);
    const seen = (await response.json()) as ServiceEcho;
    expect(seen).toMatchObject({ via: "service", method: "POST", path: "/users/7", body: "hi" });
    expect(new URL(seen.url).search).toBe("?x=1");
    expect(seen.headers.authorization).toBe("Bearer upstream-secret-token");
    expect(seen.headers["x-forwarded-for"]).toBe("198.51.100.4");
    expect(response.headers.get("x-request-id")).toBe(seen.headers["x-request-id"]);
  });

  it("answers 503 gateway_misconfigured when the binding does not exist", async () => {
    const broken = gatewayEnv([{ path: "/svc/*", upstream: "service:NO_SUCH_BINDING", auth: "none" }]);
    const response = await call(broken, "/svc/x", { headers: { authorization: `Bearer ${env.ADMIN_TOKEN}` } });
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({
      code: "gateway_misconfigured",
      detail: "GATEWAY_ROUTES[0].upstream: no service binding named NO_SUCH_BINDING",
    });
  });
});
