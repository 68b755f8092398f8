import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { generateKey } from "../../src/keys/format";
import { createKey } from "../support/admin";
import { call, expectProblem, gatewayEnv } from "../support/gateway";

/** D1 as during an outage: every statement fails. */
const unreachableD1 = new Proxy(env.DB, {
  get(target, property) {
    if (property === "prepare" || property === "batch" || property === "exec") {
      return () => {
        throw new Error("D1_ERROR: Network connection lost.");
      };
    }
    return Reflect.get(target, property, target);
  },
});

const routes = [{ path: "/api/*", upstream: env.UPSTREAM_URL }];
const healthy = gatewayEnv(routes);
const outage = gatewayEnv(routes, { DB: unreachableD1 });

describe("when D1 is unavailable", () => {
  it("keeps serving keys this isolate already verified", async () => {
    const { key } = await createKey(healthy);
    expect((await call(healthy, "/api/x", { headers: { "x-api-key": key } })).status).toBe(200);
    expect((await call(outage, "/api/x", { headers: { "x-api-key": key } })).status).toBe(200);
  });

  it("answers 503 key_store_unavailable, not 500, for a key it has not seen", async () => {
    const response = await call(outage, "/api/x", { headers: { "x-api-key": generateKey("gk_live") } });
    expect(response.status).toBe(503);
    const body = await expectProblem(response, 503, "key_store_unavailable");
    expect(body.detail).not.toContain("D1_ERROR");
  });

  it("still refuses malformed keys with 401 without touching D1", async () => {
    const response = await call(outage, "/api/x", { headers: { "x-api-key": "gk_live_nope" } });
    expect(response.status).toBe(401);
  });
});
