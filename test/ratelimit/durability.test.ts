import { abortAllDurableObjects } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createKey } from "../support/admin";
import { call, gatewayEnv } from "../support/gateway";

const gateway = gatewayEnv([{ path: "/api/*", upstream: env.UPSTREAM_URL }]);

describe("a Durable Object reset mid-traffic", () => {
  it("loses no admission it acknowledged: the limit still holds exactly across the reset", async () => {
    const { key } = await createKey(gateway, { rateLimits: [{ name: "hour", limit: 40, window: 3600 }] });
    const send = () =>
      call(gateway, "/api/x", { headers: { "x-api-key": key } }).then(async (r) => {
        await r.arrayBuffer();
        return r.status;
      });

    const first = Promise.all(Array.from({ length: 30 }, send));
    await new Promise((resolve) => setTimeout(resolve, 5));
    await abortAllDurableObjects();
    const before = await first;
    const admittedBefore = before.filter((s) => s === 200).length;
    // Requests caught by the reset fail closed (503), never open.
    expect(before.every((s) => s === 200 || s === 503)).toBe(true);

    const after = await Promise.all(Array.from({ length: 60 }, send));
    const admittedAfter = after.filter((s) => s === 200).length;
    expect(admittedBefore + admittedAfter).toBe(40);
    expect(after.filter((s) => s === 429)).toHaveLength(60 - admittedAfter);
  });
});
