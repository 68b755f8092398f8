import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, type Echo, expectProblem, gatewayEnv, json } from "../support/gateway";

const gateway = gatewayEnv([
  { path: "/open/*", upstream: env.UPSTREAM_URL, auth: "none", headers: { "x-upstream-secret": "${UPSTREAM_TOKEN}" } },
  { path: "/traced/*", upstream: env.UPSTREAM_URL, auth: "none", methods: ["GET", "TRACE"] },
]);

describe("TRACE", () => {
  it("is not forwarded by default (it would echo the route's injected secret): 405 with Allow", async () => {
    const response = await call(gateway, "/open/x", { method: "TRACE" });
    await expectProblem(response, 405, "method_not_allowed");
    expect(response.headers.get("allow")).not.toContain("TRACE");
    expect(response.headers.get("allow")).toContain("GET");
  });

  it("is forwarded on a route that lists it in methods", async () => {
    expect((await json<Echo>(await call(gateway, "/traced/x", { method: "TRACE" }), 200)).method).toBe("TRACE");
  });
});
