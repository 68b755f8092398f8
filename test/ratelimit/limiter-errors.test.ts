import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Env } from "../../src/env";
import { createKey } from "../support/admin";
import { call, expectProblem, gatewayEnv } from "../support/gateway";

/** A Durable Object namespace whose objects cannot be reached, as during an outage. */
const unreachableLimiter = {
  getByName: () => ({
    check: () => Promise.reject(new Error("Durable Object reset because its code was updated.")),
  }),
} as unknown as Env["KEY_LIMITER"];

const routes = [
  { path: "/closed/*", upstream: env.UPSTREAM_URL },
  { path: "/open/*", upstream: env.UPSTREAM_URL, onLimiterError: "open" as const },
];
const healthy = gatewayEnv(routes);
const failing = gatewayEnv(routes, { KEY_LIMITER: unreachableLimiter });

describe("when the limiter fails", () => {
  it("fails closed by default with 503 limiter_unavailable and no internal detail", async () => {
    const { key } = await createKey(healthy);
    const response = await call(failing, "/closed/x", { headers: { "x-api-key": key } });
    expect(response.status).toBe(503);
    const body = await expectProblem(response, 503, "limiter_unavailable");
    expect(body.detail).not.toContain("Durable Object reset");
  });

  it("lets the request through on a fail-open route", async () => {
    const { key } = await createKey(healthy);
    const response = await call(failing, "/open/x", { headers: { "x-api-key": key } });
    expect(response.status).toBe(200);
    expect(response.headers.get("ratelimit")).toBeNull();
  });
});

/** A namespace whose objects answer only after a long while, as an overloaded object does (10 s: far past any wait the tests allow, even on a loaded machine). */
const slowLimiter = {
  getByName: () => ({
    check: () => new Promise((resolve) => setTimeout(() => resolve({ outcome: "allowed", policies: [], nearest: -1 }), 10_000)),
  }),
} as unknown as Env["KEY_LIMITER"];
const slow = gatewayEnv(routes, { KEY_LIMITER: slowLimiter, LIMITER_TIMEOUT_MS: "150" });

describe("when the limiter is slow", () => {
  it("gives up after LIMITER_TIMEOUT_MS and fails closed", async () => {
    const { key } = await createKey(healthy);
    const started = Date.now();
    const response = await call(slow, "/closed/x", { headers: { "x-api-key": key } });
    expect(response.status).toBe(503);
    await expectProblem(response, 503, "limiter_unavailable");
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("gives up after LIMITER_TIMEOUT_MS and passes on a fail-open route", async () => {
    const { key } = await createKey(healthy);
    const response = await call(slow, "/open/x", { headers: { "x-api-key": key } });
    expect(response.status).toBe(200);
  });
});
