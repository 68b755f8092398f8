import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, type Echo, expectProblem, gatewayEnv } from "../support/gateway";

const gateway = gatewayEnv([
  { path: "/open/*", upstream: env.UPSTREAM_URL, auth: "none" },
  { path: "/app/*", upstream: env.UPSTREAM_URL, auth: "none", serviceWorkers: true },
]);

describe("service workers", () => {
  it("removes Service-Worker-Allowed from the upstream's answer, so proxied content cannot claim the origin", async () => {
    const response = await call(gateway, `/open/__respond?h=${encodeURIComponent("service-worker-allowed:/")}`);
    expect(response.status).toBe(200);
    expect(response.headers.get("service-worker-allowed")).toBeNull();
  });

  it("removes it on a route that allows service workers too: their scope stays under the script's own path", async () => {
    const response = await call(gateway, `/app/__respond?h=${encodeURIComponent("service-worker-allowed:/")}`);
    expect(response.headers.get("service-worker-allowed")).toBeNull();
  });

  it("refuses a service worker script request on a proxied route with 403", async () => {
    const response = await call(gateway, "/open/sw.js", { headers: { "service-worker": "script" } });
    const problem = await expectProblem(response, 403, "insufficient_scope");
    expect(problem.detail).toContain("serviceWorkers");
  });

  it("forwards a service worker script request on a route that sets serviceWorkers = true", async () => {
    const response = await call(gateway, "/app/sw.js", { headers: { "service-worker": "script" } });
    expect(response.status).toBe(200);
    expect(((await response.json()) as Echo).headers["service-worker"]).toBe("script");
  });
});
