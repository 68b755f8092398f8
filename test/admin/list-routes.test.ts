import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { admin } from "../support/admin";
import { call, expectProblem, gatewayEnv, json } from "../support/gateway";

const gateway = gatewayEnv([
  {
    path: "/v1/*",
    upstream: env.UPSTREAM_URL,
    scopes: ["read"],
    rateLimits: [{ name: "minute", limit: 100, window: 60 }],
    headers: { authorization: "Bearer upstream-secret" },
  },
  { path: "/health", upstream: env.UPSTREAM_URL, auth: "none", methods: ["get"] },
]);

describe("GET /_gateway/admin/routes", () => {
  it("lists the configured routes in order, without upstreams or their headers", async () => {
    const response = await admin(gateway, "GET", "/routes");
    const text = await response.clone().text();
    const body = await json<{ items: Record<string, unknown>[] }>(response, 200);
    expect(body.items).toEqual([
      {
        path: "/v1/*",
        methods: null,
        auth: "required",
        scopes: ["read"],
        rateLimits: [{ name: "minute", limit: 100, window: 60 }],
        cost: 1,
      },
      { path: "/health", methods: ["GET"], auth: "none", scopes: [], rateLimits: [], cost: 1 },
    ]);
    expect(text).not.toContain("upstream-secret");
    expect(text).not.toContain(env.UPSTREAM_URL);
  });

  it("needs an operator token with keys:read", async () => {
    const wrong = await call(gateway, "/_gateway/admin/routes", { headers: { authorization: "Bearer not-the-token-0123456789abcdef" } });
    await expectProblem(wrong, 401, "invalid_token");
    const operator = await json<{ token: string }>(
      await admin(gateway, "POST", "/operators", { name: "usage only", scopes: ["usage:read"] }),
      201,
    );
    const refused = await call(gateway, "/_gateway/admin/routes", { headers: { authorization: `Bearer ${operator.token}` } });
    await expectProblem(refused, 403, "insufficient_scope");
  });

  it("is in the OpenAPI document", async () => {
    const document = await json<{ paths: Record<string, { get?: { operationId?: string } }> }>(
      await call(gateway, "/_gateway/openapi.json"),
      200,
    );
    expect(document.paths["/admin/routes"]?.get?.operationId).toBe("listRoutes");
  });
});
