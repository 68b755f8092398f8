import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { admin, createKey } from "../support/admin";
import { call, gatewayEnv, json } from "../support/gateway";

interface Usage {
  buckets: { allowed: number; rateLimited: number; quotaExceeded: number }[];
}

const totals = async (gateway: ReturnType<typeof gatewayEnv>, id: string) => {
  const { buckets } = await json<Usage>(await admin(gateway, "GET", `/keys/${id}/usage`), 200);
  return {
    allowed: buckets.reduce((sum, b) => sum + b.allowed, 0),
    rateLimited: buckets.reduce((sum, b) => sum + b.rateLimited, 0),
  };
};

describe("refusals decided in the isolate", () => {
  it("reach the key's usage within seconds when the key then falls silent", async () => {
    const gateway = gatewayEnv([{ path: "/api/*", upstream: env.UPSTREAM_URL }], { LEASE_TTL_MS: "1000" });
    const { key, id } = await createKey(gateway, { rateLimits: [{ name: "minute", limit: 1, window: 60 }] });
    const asKey = { headers: { "x-api-key": key } };

    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await call(gateway, "/api/x", asKey)).status);
    expect(statuses).toEqual([200, 429, 429, 429, 429, 429]);

    // Silence: no request carries the refusals decided here; a background report must.
    const started = Date.now();
    await expect.poll(() => totals(gateway, id), { timeout: 5000, interval: 250 }).toEqual({ allowed: 1, rateLimited: 5 });
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
