import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Env } from "../../src/env";
import worker from "../../src/index";
import { expectProblem, gatewayEnv } from "../support/gateway";
import { newCustomerEmail, signIn } from "../support/oidc";

const routes = [{ path: "/v1/*", upstream: env.UPSTREAM_URL, auth: "none" as const }];
const separate = gatewayEnv(routes, { PORTAL_HOST: "portal.test", DASHBOARD_HOST: "dash.test" });
const together = gatewayEnv(routes);

/** One request into the worker on the given host. */
async function on(target: Env, host: string, path: string, init: RequestInit = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await worker.fetch(new Request(`https://${host}${path}`, { redirect: "manual", ...init }), target, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

const adminAuth = { headers: { authorization: `Bearer ${env.ADMIN_TOKEN}` } };

describe("pages on hosts of their own (PORTAL_HOST, DASHBOARD_HOST)", () => {
  it("serves the portal on its host and nothing else there: no proxied route, no dashboard, no admin API", async () => {
    expect((await on(separate, "portal.test", "/_gateway/portal/login")).status).toBe(302);
    expect((await on(separate, "portal.test", "/_gateway/portal")).status).toBe(200); // the page, which offers sign-in
    for (const path of ["/v1/anything", "/_gateway/dashboard", "/_gateway/admin/keys", "/_gateway/health", "/_gateway/openapi.json", "/"]) {
      await expectProblem(await on(separate, "portal.test", path, adminAuth), 404, "no_route");
    }
  });

  it("serves the dashboard and the admin API it calls on its host, and nothing else there", async () => {
    expect((await on(separate, "dash.test", "/_gateway/dashboard")).status).toBe(200);
    expect((await on(separate, "dash.test", "/_gateway/admin/keys", adminAuth)).status).toBe(200);
    expect((await on(separate, "dash.test", "/_gateway/openapi.json")).status).toBe(200);
    for (const path of ["/v1/anything", "/_gateway/portal/login", "/_gateway/portal", "/_gateway/health", "/"]) {
      await expectProblem(await on(separate, "dash.test", path), 404, "no_route");
    }
  });

  it("serves neither page on the API's host, which still proxies and answers the admin API", async () => {
    for (const path of [
      "/_gateway/dashboard",
      "/_gateway/dashboard/",
      "/_gateway/portal",
      "/_gateway/portal/login",
      "/_gateway/PORTAL/login",
    ]) {
      await expectProblem(await on(separate, "gw.test", path), 404, "no_route");
    }
    expect((await on(separate, "gw.test", "/v1/anything")).status).toBe(200);
    expect((await on(separate, "gw.test", "/_gateway/admin/keys", adminAuth)).status).toBe(200);
  });

  it("signs a customer in on the portal's host", async () => {
    const portal = (path: string, init?: RequestInit) => on(separate, "portal.test", path, init);
    const cookie = await signIn(portal, newCustomerEmail());
    expect((await portal("/_gateway/portal", { headers: { cookie } })).status).toBe(200);
    const login = await portal("/_gateway/portal/login");
    expect(new URL(login.headers.get("location") ?? "").searchParams.get("redirect_uri")).toBe(
      "https://portal.test/_gateway/portal/callback",
    );
  });

  it("matches a host named with a port only on that port", async () => {
    const withPort = gatewayEnv(routes, { PORTAL_HOST: "portal.test:8443" });
    expect((await on(withPort, "portal.test:8443", "/_gateway/portal/login")).status).toBe(302);
    await expectProblem(await on(withPort, "portal.test:8443", "/v1/anything"), 404, "no_route");
    await expectProblem(await on(withPort, "portal.test", "/_gateway/portal/login"), 404, "no_route");
  });

  it("serves everything on one origin while neither host is set", async () => {
    expect((await on(together, "gw.test", "/_gateway/dashboard")).status).toBe(200);
    expect((await on(together, "gw.test", "/_gateway/portal/login")).status).toBe(302);
    expect((await on(together, "gw.test", "/v1/anything")).status).toBe(200);
    expect((await on(together, "other.test", "/_gateway/dashboard")).status).toBe(200);
  });

  it("refuses a host setting that is not a host name: 503 gateway_misconfigured", async () => {
    const bad = gatewayEnv(routes, { PORTAL_HOST: "https://portal.test/" });
    await expectProblem(await on(bad, "gw.test", "/v1/anything"), 503, "gateway_misconfigured");
  });
});
