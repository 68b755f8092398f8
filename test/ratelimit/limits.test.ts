import { evictDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createKey } from "../support/admin";
import { call, expectProblem, gatewayEnv } from "../support/gateway";

const gateway = gatewayEnv([
  { path: "/api/*", upstream: env.UPSTREAM_URL },
  { path: "/costly", upstream: env.UPSTREAM_URL, rateLimits: [{ name: "costly", limit: 2, window: 60 }] },
  { path: "/public/*", upstream: env.UPSTREAM_URL, auth: "none", rateLimits: [{ name: "anon", limit: 3, window: 60 }] },
]);

const withKey = (key: string) => ({ headers: { "x-api-key": key } });

describe("rate limiting", () => {
  it("admits exactly the limit out of 50 parallel requests", async () => {
    const { key } = await createKey(gateway, { rateLimits: [{ name: "minute", limit: 20, window: 60 }] });
    const responses = await Promise.all(Array.from({ length: 50 }, () => call(gateway, "/api/x", withKey(key))));
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(20);
    expect(statuses.filter((s) => s === 429)).toHaveLength(30);
  });

  it("admits exactly the limit out of 300 parallel requests across two limits", async () => {
    const { key } = await createKey(gateway, {
      rateLimits: [
        { name: "minute", limit: 120, window: 60 },
        { name: "hour", limit: 500, window: 3600 },
      ],
    });
    const responses = await Promise.all(Array.from({ length: 300 }, () => call(gateway, "/api/x", withKey(key))));
    expect(responses.filter((r) => r.status === 200)).toHaveLength(120);
    expect(responses.filter((r) => r.status === 429)).toHaveLength(180);
  }, 30_000); // 300 requests through one object take 5–11 s on a loaded shared machine

  it("answers 429 rate_limited with Retry-After and draft-11 headers", async () => {
    const { key } = await createKey(gateway, {
      rateLimits: [
        { name: "minute", limit: 2, window: 60 },
        { name: "day", limit: 1000, window: 86400 },
      ],
    });
    const first = await call(gateway, "/api/x", withKey(key));
    expect(first.headers.get("ratelimit-policy")).toBe('"minute";q=2;w=60, "day";q=1000;w=86400');
    expect(first.headers.get("ratelimit")).toMatch(/^"minute";r=1;t=(59|60)$/);
    await call(gateway, "/api/x", withKey(key));
    const denied = await call(gateway, "/api/x", withKey(key));
    expect(denied.status).toBe(429);
    await expectProblem(denied, 429, "rate_limited");
    expect(Number(denied.headers.get("retry-after"))).toBeGreaterThanOrEqual(59);
    expect(Number(denied.headers.get("retry-after"))).toBeLessThanOrEqual(60);
    expect(denied.headers.get("ratelimit")).toMatch(/^"minute";r=0;t=(59|60)$/);
    expect(denied.headers.get("ratelimit-policy")).toBe('"minute";q=2;w=60, "day";q=1000;w=86400');
  });

  it("consumes nothing from any limit when one of them denies", async () => {
    const { key, id } = await createKey(gateway, {
      rateLimits: [
        { name: "burst", limit: 1, window: 60 },
        { name: "hour", limit: 100, window: 3600 },
      ],
    });
    await call(gateway, "/api/x", withKey(key));
    for (let i = 0; i < 5; i++) expect((await call(gateway, "/api/x", withKey(key))).status).toBe(429);
    const denied = await call(gateway, "/api/x", withKey(key));
    expect(denied.headers.get("ratelimit-policy")).toContain('"hour";q=100;w=3600');
    // Only the one admitted request counted against the hour.
    const limits = await env.KEY_LIMITER.getByName(`key:${id}`).peek([{ id: "key:hour", name: "hour", limit: 100, window: 3600 }]);
    expect(limits[0]!.remaining).toBe(99);
  });

  it("keeps its counts when the Durable Object restarts", async () => {
    const created = await createKey(gateway, { rateLimits: [{ name: "minute", limit: 3, window: 60 }] });
    for (let i = 0; i < 3; i++) expect((await call(gateway, "/api/x", withKey(created.key))).status).toBe(200);
    await evictDurableObject(env.KEY_LIMITER.getByName(`key:${created.id}`));
    expect((await call(gateway, "/api/x", withKey(created.key))).status).toBe(429);
  });

  it("adds a route's own limits, counted per key on that route", async () => {
    const { key } = await createKey(gateway, { rateLimits: [{ name: "minute", limit: 100, window: 60 }] });
    expect((await call(gateway, "/costly", withKey(key))).status).toBe(200);
    expect((await call(gateway, "/costly", withKey(key))).status).toBe(200);
    const denied = await call(gateway, "/costly", withKey(key));
    expect(denied.status).toBe(429);
    expect(denied.headers.get("ratelimit")).toMatch(/^"costly";r=0;/);
    expect((await call(gateway, "/api/x", withKey(key))).status).toBe(200);
  });

  it("limits anonymous routes per client IP", async () => {
    const from = (ip: string) => ({ headers: { "cf-connecting-ip": ip } });
    for (let i = 0; i < 3; i++) expect((await call(gateway, "/public/x", from("198.51.100.1"))).status).toBe(200);
    expect((await call(gateway, "/public/x", from("198.51.100.1"))).status).toBe(429);
    expect((await call(gateway, "/public/x", from("198.51.100.2"))).status).toBe(200);
  });
});
