import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Env } from "../../src/env";
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

    for (let i = 0; i < 5; i++) {
      const again = await call(gateway, "/api/x", asKey);
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
