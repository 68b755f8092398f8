import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { createKey } from "../support/admin";
import { call, gatewayEnv, recordingDataset } from "../support/gateway";

const usage = recordingDataset();
const gateway = gatewayEnv([{ path: "/api/*", upstream: env.UPSTREAM_URL }], { USAGE: usage.dataset });

let key: string;
let id: string;
beforeAll(async () => {
  ({ key, id } = await createKey(gateway, { owner: "acme", rateLimits: [{ name: "minute", limit: 1, window: 60 }] }));
  usage.points.length = 0;
});

describe("usage data points", () => {
  it("writes one data point per proxied or refused request, never the key itself", async () => {
    await call(gateway, "/api/x", { headers: { "x-api-key": key } });
    await call(gateway, "/api/x", { method: "POST", headers: { "x-api-key": key } });
    await call(gateway, "/api/x");
    expect(usage.points).toHaveLength(3);
    const [allowed, limited, missing] = usage.points;
    expect(allowed).toMatchObject({ indexes: [id], blobs: ["/api/*", "GET", "allowed", "acme"] });
    expect(allowed!.doubles![0]).toBe(200);
    expect(limited).toMatchObject({ indexes: [id], blobs: ["/api/*", "POST", "rate_limited", "acme"] });
    expect(limited!.doubles![0]).toBe(429);
    expect(missing).toMatchObject({ indexes: ["anonymous"], blobs: ["/api/*", "GET", "missing_key", ""] });
    expect(JSON.stringify(usage.points)).not.toContain(key);
  });

  it("writes no data point for the gateway's own endpoints", async () => {
    const before = usage.points.length;
    await call(gateway, "/_gateway/health");
    expect(usage.points).toHaveLength(before);
  });
});
