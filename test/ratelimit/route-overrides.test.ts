import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { admin, createKey } from "../support/admin";
import { call, expectProblem, gatewayEnv, json, withKey } from "../support/gateway";

const gateway = gatewayEnv([
  { path: "/v1/search", upstream: env.UPSTREAM_URL, rateLimits: [{ name: "minute", limit: 10, window: 60 }] },
  { path: "/v1/*", upstream: env.UPSTREAM_URL, rateLimits: [{ name: "minute", limit: 10, window: 60 }] },
]);

const policyOf = async (key: string, path: string) => (await withKey(gateway, path, key)).headers.get("ratelimit-policy");

describe("per-key overrides of route limits", () => {
  it("replaces the route's limit of the same name on that route only, and RateLimit-Policy shows it", async () => {
    const partner = await createKey(gateway, { routeRateLimits: { "/v1/search": [{ name: "minute", limit: 1000, window: 60 }] } });
    const plain = await createKey(gateway);
    expect(await policyOf(partner.key, "/v1/search")).toBe('"minute";q=1000;w=60');
    expect(await policyOf(partner.key, "/v1/other")).toBe('"minute";q=10;w=60');
    expect(await policyOf(plain.key, "/v1/search")).toBe('"minute";q=10;w=60');
  });

  it("admits past the route's limit up to the key's own, while other keys stop at the route's", async () => {
    const partner = await createKey(gateway, { routeRateLimits: { "/v1/search": [{ name: "minute", limit: 12, window: 60 }] } });
    const plain = await createKey(gateway);
    const partnerStatuses = await Promise.all(Array.from({ length: 14 }, () => withKey(gateway, "/v1/search", partner.key)));
    const plainStatuses = await Promise.all(Array.from({ length: 14 }, () => withKey(gateway, "/v1/search", plain.key)));
    expect(partnerStatuses.filter((r) => r.status === 200)).toHaveLength(12);
    expect(plainStatuses.filter((r) => r.status === 200)).toHaveLength(10);
  });

  it("adds a limit whose name the route does not have, beside the key's own limits", async () => {
    const created = await createKey(gateway, {
      rateLimits: [{ name: "day", limit: 500, window: 86400 }],
      routeRateLimits: { "/v1/search": [{ name: "second", limit: 2, window: 1 }] },
    });
    expect(await policyOf(created.key, "/v1/search")).toBe('"day";q=500;w=86400, "minute";q=10;w=60, "second";q=2;w=1');
  });

  it("is shown in the key object ({} by default), changed by PATCH from the next request, and kept by import", async () => {
    const plain = await createKey(gateway);
    expect(plain.routeRateLimits).toEqual({});
    const overrides = { "/v1/search": [{ name: "minute", limit: 50, window: 60 }] };
    const updated = await json(await admin(gateway, "PATCH", `/keys/${plain.id}`, { routeRateLimits: overrides }), 200);
    expect(updated.routeRateLimits).toEqual(overrides);
    expect(await policyOf(plain.key, "/v1/search")).toBe('"minute";q=50;w=60');
    expect((await json(await admin(gateway, "GET", `/keys/${plain.id}`), 200)).routeRateLimits).toEqual(overrides);

    const key = `ovr_${crypto.randomUUID().replaceAll("-", "")}`;
    const report = await json(
      await admin(gateway, "POST", "/keys/import", { prefix: "ovr", keys: [{ key, name: "imported", routeRateLimits: overrides }] }),
      200,
    );
    expect((await json(await admin(gateway, "GET", `/keys/${report.imported[0].id}`), 200)).routeRateLimits).toEqual(overrides);
    expect(await policyOf(key, "/v1/search")).toBe('"minute";q=50;w=60');
  });

  it("keeps overrides for paths no route has (keys outlive config) and ignores them", async () => {
    const created = await createKey(gateway, { routeRateLimits: { "/v2/*": [{ name: "minute", limit: 1, window: 60 }] } });
    expect(created.routeRateLimits).toEqual({ "/v2/*": [{ name: "minute", limit: 1, window: 60 }] });
    expect(await policyOf(created.key, "/v1/search")).toBe('"minute";q=10;w=60');
  });

  it("refuses a path that is no route path, or a bad limit, with 400 naming routeRateLimits", async () => {
    for (const routeRateLimits of [
      { "v1/search": [{ name: "minute", limit: 5, window: 60 }] },
      { "/v1/search": [{ name: "minute", limit: 0, window: 60 }] },
      {
        "/v1/search": [
          { name: "minute", limit: 5, window: 60 },
          { name: "minute", limit: 6, window: 60 },
        ],
      },
      ["/v1/search"],
    ]) {
      const problem = await expectProblem(
        await call(gateway, "/_gateway/admin/keys", {
          method: "POST",
          headers: { authorization: `Bearer ${env.ADMIN_TOKEN}`, "content-type": "application/json" },
          body: JSON.stringify({ name: "bad", routeRateLimits }),
        }),
        400,
        "invalid_request",
      );
      expect(problem.detail).toContain("routeRateLimits");
    }
  });

  it("applies to verify when it names the route", async () => {
    const created = await createKey(gateway, { routeRateLimits: { "/v1/search": [{ name: "minute", limit: 1000, window: 60 }] } });
    const verified = await json(
      await call(gateway, "/_gateway/verify", {
        method: "POST",
        headers: { authorization: `Bearer ${env.ADMIN_TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify({ key: created.key, route: "/v1/search" }),
      }),
      200,
    );
    expect(verified).toMatchObject({ valid: true, ratelimits: [{ name: "minute", limit: 1000, remaining: 999 }] });
  });
});
