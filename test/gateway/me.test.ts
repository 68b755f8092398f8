import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { admin, createKey } from "../support/admin";
import { call, expectProblem, gatewayEnv, json, withKey } from "../support/gateway";

const gateway = gatewayEnv([{ path: "/api/*", upstream: env.UPSTREAM_URL }]);
const me = (key: string, headers: Record<string, string> = {}) =>
  call(gateway, "/_gateway/me", { headers: { "x-api-key": key, ...headers } });

describe("GET /_gateway/me", () => {
  it("describes the calling key with its limits and quota as they stand", async () => {
    const created = await createKey(gateway, {
      name: "mine",
      owner: "acme",
      scopes: ["read"],
      expiresAt: "2099-01-01T00:00:00Z",
      rateLimits: [
        { name: "minute", limit: 10, window: 60 },
        { name: "day", limit: 1000, window: 86400 },
      ],
      quota: { limit: 100, period: "month" },
    });
    expect((await withKey(gateway, "/api/x", created.key)).status).toBe(200);
    const body = await json(await me(created.key), 200);
    expect(body).toMatchObject({
      id: created.id,
      name: "mine",
      owner: "acme",
      scopes: ["read"],
      expiresAt: "2099-01-01T00:00:00.000Z",
      rateLimits: [
        { name: "minute", limit: 10, window: 60, remaining: 9 },
        { name: "day", limit: 1000, window: 86400, remaining: 999 },
      ],
      quota: { limit: 100, period: "month", used: 1, remaining: 99 },
    });
    expect(body.rateLimits[0].reset).toBeGreaterThan(0);
    expect(body.quota.reset).toBeGreaterThan(0);
    expect(JSON.stringify(body)).not.toContain(created.key);
  });

  it("costs no rate limit or quota", async () => {
    const created = await createKey(gateway, {
      rateLimits: [{ name: "minute", limit: 2, window: 60 }],
      quota: { limit: 2, period: "day" },
    });
    for (let i = 0; i < 5; i++) expect((await me(created.key)).status).toBe(200);
    const body = await json(await me(created.key), 200);
    expect(body.rateLimits[0].remaining).toBe(2);
    expect(body.quota.remaining).toBe(2);
    expect((await withKey(gateway, "/api/x", created.key)).status).toBe(200);
  });

  it("accepts every configured credential form", async () => {
    const created = await createKey(gateway);
    for (const headers of [
      { authorization: `api-key ${created.key}` },
      { authorization: `Bearer ${created.key}` },
      { "x-api-key": created.key },
    ] as Record<string, string>[]) {
      expect((await call(gateway, "/_gateway/me", { headers })).status).toBe(200);
    }
  });

  it("refuses a missing, malformed, revoked or disabled key, and an IP outside the allowlist", async () => {
    await expectProblem(await call(gateway, "/_gateway/me"), 401, "missing_key");
    await expectProblem(await me("gk_live_nope"), 401, "invalid_key");
    const revoked = await createKey(gateway);
    await admin(gateway, "DELETE", `/keys/${revoked.id}`);
    await expectProblem(await me(revoked.key), 401, "revoked_key");
    const disabled = await createKey(gateway, { enabled: false });
    await expectProblem(await me(disabled.key), 401, "disabled_key");
    const fenced = await createKey(gateway, { ipAllowlist: ["10.0.0.0/8"] });
    const fencedOut = await expectProblem(await me(fenced.key, { "cf-connecting-ip": "192.0.2.1" }), 403, "ip_not_allowed");
    expect(fencedOut.detail).toContain("192.0.2.1");
    expect((await me(fenced.key, { "cf-connecting-ip": "10.2.3.4" })).status).toBe(200);
  });

  it("shows the old secret's earlier expiry during a rotation's grace period", async () => {
    const created = await createKey(gateway);
    await admin(gateway, "POST", `/keys/${created.id}/rotate`, { gracePeriodSeconds: 600 });
    const body = await json(await me(created.key), 200);
    const left = Date.parse(body.expiresAt) - Date.now();
    expect(left).toBeGreaterThan(590_000);
    expect(left).toBeLessThanOrEqual(600_000);
  });
});
