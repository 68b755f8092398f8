import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Env } from "../../src/env";
import { keyObjectName } from "../../src/objects/names";
import { createKey } from "../support/admin";
import { call, expectProblem, gatewayEnv } from "../support/gateway";

/** The real Durable Object namespace, counting the `check` calls made through it. */
function countingLimiter(): { namespace: Env["KEY_LIMITER"]; checks: () => number } {
  let checks = 0;
  const namespace = {
    getByName(name: string) {
      const stub = env.KEY_LIMITER.getByName(name);
      return new Proxy(stub, {
        get(target, property) {
          if (property === "check") {
            return (...args: Parameters<typeof stub.check>) => {
              checks++;
              return target.check(...args);
            };
          }
          return Reflect.get(target, property);
        },
      });
    },
  } as unknown as Env["KEY_LIMITER"];
  return { namespace, checks: () => checks };
}

describe("the isolate's denial memo", () => {
  it("refuses a key over its limit without another Durable Object call until the retry time", async () => {
    const limiter = countingLimiter();
    const gateway = gatewayEnv([{ path: "/api/*", upstream: env.UPSTREAM_URL }], { KEY_LIMITER: limiter.namespace });
    const { key } = await createKey(gateway, { rateLimits: [{ name: "second", limit: 2, window: 1 }] });
    const asKey = { headers: { "x-api-key": key } };

    expect((await call(gateway, "/api/x", asKey)).status).toBe(200);
    expect((await call(gateway, "/api/x", asKey)).status).toBe(200);
    const denied = await call(gateway, "/api/x", asKey);
    expect(denied.status).toBe(429);
    const checksAfterDenial = limiter.checks();

    // At once: the test's `call` waits for the background work too, and the first refusal here schedules a report a TTL later.
    const refusedHere = await Promise.all(Array.from({ length: 5 }, () => call(gateway, "/api/x", asKey)));
    for (const again of refusedHere) {
      expect(again.status).toBe(429);
      await expectProblem(again, 429, "rate_limited");
      expect(Number(again.headers.get("retry-after"))).toBe(1);
      expect(again.headers.get("ratelimit")).toBe('"second";r=0;t=1');
    }
    expect(limiter.checks()).toBe(checksAfterDenial);

    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await call(gateway, "/api/x", asKey)).status).toBe(200);
    expect(limiter.checks()).toBe(checksAfterDenial + 1);
  });

  it("lives no longer than LEASE_TTL_MS: a revocation made elsewhere is answered 401 revoked_key, not 429", async () => {
    const gateway = gatewayEnv([{ path: "/api/*", upstream: env.UPSTREAM_URL }], { LEASE_TTL_MS: "300" });
    const { key, id } = await createKey(gateway, { rateLimits: [{ name: "minute", limit: 1, window: 60 }] });
    const asKey = { headers: { "x-api-key": key } };
    expect((await call(gateway, "/api/x", asKey)).status).toBe(200);
    expect((await call(gateway, "/api/x", asKey)).status).toBe(429);

    // Another isolate's admin write reaches only the key's object; this isolate's caches know nothing of it.
    const revokedAt = Date.now();
    await env.KEY_LIMITER.getByName(keyObjectName(id)).updateStatus({
      version: 1_000,
      enabled: true,
      expiresAt: null,
      revokedAt,
      secretExpiry: {},
      quota: null,
    });
    await new Promise((resolve) => setTimeout(resolve, 350));
    const refused = await call(gateway, "/api/x", asKey);
    expect(refused.status).toBe(401);
    await expectProblem(refused, 401, "revoked_key");
  });

  it("is off with LEASE_TTL_MS=0: every request over the limit asks the key's object", async () => {
    const limiter = countingLimiter();
    const gateway = gatewayEnv([{ path: "/api/*", upstream: env.UPSTREAM_URL }], { KEY_LIMITER: limiter.namespace, LEASE_TTL_MS: "0" });
    const { key } = await createKey(gateway, { rateLimits: [{ name: "minute", limit: 1, window: 60 }] });
    const asKey = { headers: { "x-api-key": key } };
    expect((await call(gateway, "/api/x", asKey)).status).toBe(200);
    const checksBefore = limiter.checks();
    for (let i = 0; i < 3; i++) expect((await call(gateway, "/api/x", asKey)).status).toBe(429);
    expect(limiter.checks()).toBe(checksBefore + 3);
  });

  it("is dropped by an admin write this isolate serves: a raised limit applies on the next request", async () => {
    const gateway = gatewayEnv([{ path: "/api/*", upstream: env.UPSTREAM_URL }]);
    const { key, id } = await createKey(gateway, { rateLimits: [{ name: "minute", limit: 1, window: 60 }] });
    const asKey = { headers: { "x-api-key": key } };
    expect((await call(gateway, "/api/x", asKey)).status).toBe(200);
    expect((await call(gateway, "/api/x", asKey)).status).toBe(429);
    const raised = await call(gateway, `/_gateway/admin/keys/${id}`, {
      method: "PATCH",
      headers: { authorization: `Bearer ${env.ADMIN_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ rateLimits: [{ name: "minute", limit: 5, window: 60 }] }),
    });
    expect(raised.status).toBe(200);
    expect((await call(gateway, "/api/x", asKey)).status).toBe(200);
  });

  it("never admits more than the limit: exactly the limit passes in each window under parallel load", async () => {
    const gateway = gatewayEnv([{ path: "/api/*", upstream: env.UPSTREAM_URL }]);
    const { key } = await createKey(gateway, { rateLimits: [{ name: "minute", limit: 7, window: 60 }] });
    const statuses = [];
    for (let round = 0; round < 4; round++) {
      const responses = await Promise.all(Array.from({ length: 25 }, () => call(gateway, "/api/x", { headers: { "x-api-key": key } })));
      statuses.push(...responses.map((r) => r.status));
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(7);
  });
});
