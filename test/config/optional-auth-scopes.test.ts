import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { buildConfig } from "../../src/config/settings";
import { call, expectProblem, gatewayEnv } from "../support/gateway";

describe('auth = "optional" with scopes', () => {
  it("is refused by config validation, naming the field: anonymous calls could not be held to the scopes", async () => {
    const routes = [{ path: "/api/*", upstream: env.UPSTREAM_URL, auth: "optional" as const, scopes: ["read"] }];
    const result = buildConfig({ ...env, GATEWAY_ROUTES: JSON.stringify(routes) });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.detail).toContain("GATEWAY_ROUTES[0].scopes");
    await expectProblem(await call(gatewayEnv(routes), "/api/x"), 503, "gateway_misconfigured");
  });

  it("stays allowed with required auth, and optional auth without scopes", () => {
    const routes = [
      { path: "/a/*", upstream: env.UPSTREAM_URL, auth: "required" as const, scopes: ["read"] },
      { path: "/b/*", upstream: env.UPSTREAM_URL, auth: "optional" as const },
    ];
    expect(buildConfig({ ...env, GATEWAY_ROUTES: JSON.stringify(routes) }).ok).toBe(true);
  });
});
