import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, expectProblem, gatewayEnv } from "../support/gateway";

const gateway = gatewayEnv([{ path: "/api/*", upstream: env.UPSTREAM_URL }]);
const asAdmin = { authorization: `Bearer ${env.ADMIN_TOKEN}` };

describe("methods on the gateway's own paths", () => {
  it("answers 405 with Allow for a known admin path asked with another method", async () => {
    const response = await call(gateway, "/_gateway/admin/keys", { method: "PUT", headers: asAdmin });
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")?.split(", ").sort()).toEqual(["GET", "HEAD", "POST"]);
    await expectProblem(response, 405, "method_not_allowed");
    const byId = await call(gateway, "/_gateway/admin/keys/key_abc", { method: "POST", headers: asAdmin });
    expect(byId.status).toBe(405);
    expect(byId.headers.get("allow")?.split(", ").sort()).toEqual(["DELETE", "GET", "HEAD", "PATCH"]);
  });

  it("still asks for the admin token before saying anything about an admin path", async () => {
    expect((await call(gateway, "/_gateway/admin/keys", { method: "PUT" })).status).toBe(401);
  });

  it("answers 405 on the public endpoints and 404 no_route on unknown ones", async () => {
    const health = await call(gateway, "/_gateway/health", { method: "DELETE" });
    expect(health.status).toBe(405);
    expect(health.headers.get("allow")).toBe("GET, HEAD");
    const unknown = await call(gateway, "/_gateway/nothing-here");
    expect(unknown.status).toBe(404);
    await expectProblem(unknown, 404, "no_route");
  });
});
