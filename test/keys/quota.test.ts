import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { periodEnd, periodStart } from "../../src/ratelimit/quota";
import { admin, createKey } from "../support/admin";
import { call, expectProblem, gatewayEnv, json, withKey } from "../support/gateway";

const gateway = gatewayEnv([{ path: "/api/*", upstream: env.UPSTREAM_URL }]);

const me = async (key: string) => json(await call(gateway, "/_gateway/me", { headers: { "x-api-key": key } }), 200);

describe("quota periods (UTC calendar)", () => {
  it("starts and ends days and months in UTC", () => {
    const now = Date.parse("2027-02-28T23:59:59.500Z");
    expect(new Date(periodStart("day", now)).toISOString()).toBe("2027-02-28T00:00:00.000Z");
    expect(new Date(periodEnd("day", now)!).toISOString()).toBe("2027-03-01T00:00:00.000Z");
    expect(new Date(periodStart("month", now)).toISOString()).toBe("2027-02-01T00:00:00.000Z");
    expect(new Date(periodEnd("month", now)!).toISOString()).toBe("2027-03-01T00:00:00.000Z");
    expect(new Date(periodEnd("month", Date.parse("2027-12-15T00:00:00Z"))!).toISOString()).toBe("2028-01-01T00:00:00.000Z");
    expect(periodEnd("total", now)).toBeNull();
  });
});

describe("quota", () => {
  it("admits exactly the quota under 60 concurrent requests", async () => {
    const created = await createKey(gateway, { quota: { limit: 25, period: "day" } });
    const responses = await Promise.all(Array.from({ length: 60 }, () => withKey(gateway, "/api/x", created.key)));
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(25);
    expect(statuses.filter((s) => s === 429)).toHaveLength(35);
    await Promise.all(responses.map((r) => r.body?.cancel()));
  });

  it("answers 429 quota_exceeded with Retry-After to the end of the UTC day", async () => {
    const created = await createKey(gateway, { quota: { limit: 1, period: "day" } });
    expect((await withKey(gateway, "/api/x", created.key)).status).toBe(200);
    const response = await withKey(gateway, "/api/x", created.key);
    const retryAfter = Number(response.headers.get("retry-after"));
    await expectProblem(response, 429, "quota_exceeded");
    const expected = Math.ceil((periodEnd("day", Date.now())! - Date.now()) / 1000);
    expect(Math.abs(retryAfter - expected)).toBeLessThanOrEqual(2);
  });

  it("answers Retry-After to the end of the UTC month for a monthly quota", async () => {
    const created = await createKey(gateway, { quota: { limit: 1, period: "month" } });
    await withKey(gateway, "/api/x", created.key);
    const response = await withKey(gateway, "/api/x", created.key);
    const expected = Math.ceil((periodEnd("month", Date.now())! - Date.now()) / 1000);
    expect(Math.abs(Number(response.headers.get("retry-after")) - expected)).toBeLessThanOrEqual(2);
    await expectProblem(response, 429, "quota_exceeded");
  });

  it("gives no Retry-After for a total quota, which never comes back", async () => {
    const created = await createKey(gateway, { quota: { limit: 1, period: "total" } });
    await withKey(gateway, "/api/x", created.key);
    const response = await withKey(gateway, "/api/x", created.key);
    expect(response.headers.get("retry-after")).toBeNull();
    await expectProblem(response, 429, "quota_exceeded");
  });

  it("spends no quota on a request a rate limit refused", async () => {
    const created = await createKey(gateway, {
      quota: { limit: 10, period: "day" },
      rateLimits: [{ name: "minute", limit: 2, window: 60 }],
    });
    for (let i = 0; i < 2; i++) expect((await withKey(gateway, "/api/x", created.key)).status).toBe(200);
    for (let i = 0; i < 3; i++) await expectProblem(await withKey(gateway, "/api/x", created.key), 429, "rate_limited");
    expect((await me(created.key)).quota).toMatchObject({ used: 2, remaining: 8 });
  });

  it("spends no rate limit on a request the quota refused", async () => {
    const created = await createKey(gateway, {
      quota: { limit: 1, period: "day" },
      rateLimits: [{ name: "minute", limit: 5, window: 60 }],
    });
    expect((await withKey(gateway, "/api/x", created.key)).status).toBe(200);
    for (let i = 0; i < 3; i++) await expectProblem(await withKey(gateway, "/api/x", created.key), 429, "quota_exceeded");
    expect((await me(created.key)).rateLimits[0]).toMatchObject({ name: "minute", remaining: 4 });
  });

  it("keeps the count when the limit is raised, so the key is admitted again", async () => {
    const created = await createKey(gateway, { quota: { limit: 1, period: "day" } });
    await withKey(gateway, "/api/x", created.key);
    await expectProblem(await withKey(gateway, "/api/x", created.key), 429, "quota_exceeded");
    await json(await admin(gateway, "PATCH", `/keys/${created.id}`, { quota: { limit: 2, period: "day" } }), 200);
    expect((await withKey(gateway, "/api/x", created.key)).status).toBe(200);
    await expectProblem(await withKey(gateway, "/api/x", created.key), 429, "quota_exceeded");
  });
});
