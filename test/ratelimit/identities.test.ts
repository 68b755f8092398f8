import { evictDurableObject, runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { UsageReport } from "../../src/admin/usage-report";
import { admin, createIdentity, createKey, revokeKey } from "../support/admin";
import { call, expectProblem, gatewayEnv, json } from "../support/gateway";

const routes = [{ path: "/api/*", upstream: env.UPSTREAM_URL }];
const withKey = (key: string) => ({ headers: { "x-api-key": key } });
const perMinute = (limit: number) => [{ name: "minute", limit, window: 60 }];

for (const [label, settings] of [
  ["with leases (default LEASE_TTL_MS)", {}],
  ["with LEASE_TTL_MS=0", { LEASE_TTL_MS: "0" }],
] as const) {
  describe(`an identity's shared limit, ${label}`, () => {
    const gateway = gatewayEnv(routes, settings);

    it("admits exactly the identity's 100 out of 150 parallel requests split over two keys of 80", async () => {
      const identity = await createIdentity(gateway, { rateLimits: perMinute(100) });
      const a = await createKey(gateway, { identityId: identity.id, rateLimits: perMinute(80) });
      const b = await createKey(gateway, { identityId: identity.id, rateLimits: perMinute(80) });
      const responses = await Promise.all(Array.from({ length: 150 }, (_, i) => call(gateway, "/api/x", withKey(i % 2 ? a.key : b.key))));
      expect(responses.filter((r) => r.status === 200)).toHaveLength(100);
      expect(responses.filter((r) => r.status === 429)).toHaveLength(50);
    }, 30_000);

    it("stops each key alone at its own 80", async () => {
      const identity = await createIdentity(gateway, { rateLimits: perMinute(100) });
      const a = await createKey(gateway, { identityId: identity.id, rateLimits: perMinute(80) });
      const responses = await Promise.all(Array.from({ length: 150 }, () => call(gateway, "/api/x", withKey(a.key))));
      expect(responses.filter((r) => r.status === 200)).toHaveLength(80);
      // The other key still has the identity's remaining 20.
      const b = await createKey(gateway, { identityId: identity.id, rateLimits: perMinute(80) });
      const rest = await Promise.all(Array.from({ length: 30 }, () => call(gateway, "/api/x", withKey(b.key))));
      expect(rest.filter((r) => r.status === 200)).toHaveLength(20);
    }, 30_000);

    it("shares the identity's quota between its keys", async () => {
      const identity = await createIdentity(gateway, { quota: { limit: 5, period: "day" } });
      const a = await createKey(gateway, { identityId: identity.id });
      const b = await createKey(gateway, { identityId: identity.id });
      const statuses: number[] = [];
      for (const key of [a, b, a, b, a, b, a]) statuses.push((await call(gateway, "/api/x", withKey(key.key))).status);
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
      await expectProblem(await call(gateway, "/api/x", withKey(b.key)), 429, "quota_exceeded");
    });

    it("refuses every key once the identity is disabled, and admits them again once enabled", async () => {
      const identity = await createIdentity(gateway, { rateLimits: perMinute(1000) });
      const a = await createKey(gateway, { identityId: identity.id });
      const b = await createKey(gateway, { identityId: identity.id });
      for (const key of [a, b]) expect((await call(gateway, "/api/x", withKey(key.key))).status).toBe(200);
      await json(await admin(gateway, "PATCH", `/identities/${identity.id}`, { enabled: false }), 200);
      for (const key of [a, b]) {
        const problem = await expectProblem(await call(gateway, "/api/x", withKey(key.key)), 401, "disabled_key");
        expect(problem.detail).toBe(`The key's identity ${identity.id} is disabled; an operator can enable the identity again.`);
      }
      await json(await admin(gateway, "PATCH", `/identities/${identity.id}`, { enabled: true }), 200);
      for (const key of [a, b]) expect((await call(gateway, "/api/x", withKey(key.key))).status).toBe(200);
    });

    it("revoking one key of an identity leaves the other working", async () => {
      const identity = await createIdentity(gateway, { rateLimits: perMinute(1000) });
      const a = await createKey(gateway, { identityId: identity.id });
      const b = await createKey(gateway, { identityId: identity.id });
      for (const key of [a, b]) expect((await call(gateway, "/api/x", withKey(key.key))).status).toBe(200);
      expect((await revokeKey(gateway, a.id)).status).toBe(204);
      await expectProblem(await call(gateway, "/api/x", withKey(a.key)), 401, "revoked_key");
      expect((await call(gateway, "/api/x", withKey(b.key))).status).toBe(200);
    });
  });
}

describe("an identity's limits in the headers", () => {
  const gateway = gatewayEnv(routes, { LEASE_TTL_MS: "0" });

  it("names the identity's policies identity.<name> and reports the one nearest exhaustion", async () => {
    const identity = await createIdentity(gateway, { rateLimits: perMinute(3) });
    const a = await createKey(gateway, { identityId: identity.id, rateLimits: perMinute(10) });
    const first = await call(gateway, "/api/x", withKey(a.key));
    expect(first.headers.get("ratelimit-policy")).toBe('"minute";q=10;w=60, "identity.minute";q=3;w=60');
    expect(first.headers.get("ratelimit")).toMatch(/^"identity\.minute";r=2;t=(59|60)$/);
    const b = await createKey(gateway, { identityId: identity.id, rateLimits: perMinute(10) });
    expect((await call(gateway, "/api/x", withKey(b.key))).headers.get("ratelimit")).toMatch(/^"identity\.minute";r=1;/);
    expect((await call(gateway, "/api/x", withKey(a.key))).headers.get("ratelimit")).toMatch(/^"identity\.minute";r=0;/);
    const denied = await call(gateway, "/api/x", withKey(b.key));
    await expectProblem(denied, 429, "rate_limited");
    expect(denied.headers.get("ratelimit")).toMatch(/^"identity\.minute";r=0;/);
  });

  it("applies new identity limits from the next request", async () => {
    const identity = await createIdentity(gateway, { rateLimits: perMinute(1) });
    const a = await createKey(gateway, { identityId: identity.id });
    expect((await call(gateway, "/api/x", withKey(a.key))).status).toBe(200);
    expect((await call(gateway, "/api/x", withKey(a.key))).status).toBe(429);
    await json(await admin(gateway, "PATCH", `/identities/${identity.id}`, { rateLimits: perMinute(3) }), 200);
    expect((await call(gateway, "/api/x", withKey(a.key))).status).toBe(200);
  });
});

describe("a key moving into an identity", () => {
  const gateway = gatewayEnv(routes, { LEASE_TTL_MS: "0" });

  it("counts against the identity from its next request, and its usage is reported under both", async () => {
    const identity = await createIdentity(gateway, { rateLimits: perMinute(2) });
    const key = await createKey(gateway);
    expect((await call(gateway, "/api/x", withKey(key.key))).status).toBe(200);
    await json(await admin(gateway, "PATCH", `/keys/${key.id}`, { identityId: identity.id }), 200);
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await call(gateway, "/api/x", withKey(key.key))).status);
    expect(statuses).toEqual([200, 200, 429]);

    const total = (buckets: { allowed: number; rateLimited: number }[]) =>
      buckets.reduce((sum, b) => ({ allowed: sum.allowed + b.allowed, rateLimited: sum.rateLimited + b.rateLimited }), {
        allowed: 0,
        rateLimited: 0,
      });
    const keyUsage = await json<{ buckets: { allowed: number; rateLimited: number }[] }>(
      await admin(gateway, "GET", `/keys/${key.id}/usage`),
      200,
    );
    expect(total(keyUsage.buckets)).toEqual({ allowed: 3, rateLimited: 1 });
    const identityUsage = await json<{ buckets: { allowed: number; rateLimited: number }[] }>(
      await admin(gateway, "GET", `/identities/${identity.id}/usage`),
      200,
    );
    expect(total(identityUsage.buckets)).toEqual({ allowed: 2, rateLimited: 1 });
  });
});

describe("a key moved while another isolate still holds its old record", () => {
  const here = gatewayEnv(routes, { LEASE_TTL_MS: "0" });
  // Another cache bound is another key cache: an isolate that did not serve the admin write.
  const elsewhere = gatewayEnv(routes, { LEASE_TTL_MS: "0", KEY_CACHE_MAX_ENTRIES: "9999" });

  it("counts against the identity it joined from the next request there too", async () => {
    const identity = await createIdentity(here, { rateLimits: perMinute(2) });
    const key = await createKey(here);
    expect((await call(elsewhere, "/api/x", withKey(key.key))).status).toBe(200);
    await json(await admin(here, "PATCH", `/keys/${key.id}`, { identityId: identity.id }), 200);
    const statuses = [];
    for (const gateway of [elsewhere, here, elsewhere]) statuses.push((await call(gateway, "/api/x", withKey(key.key))).status);
    expect(statuses).toEqual([200, 200, 429]);
    expect((await call(elsewhere, "/api/x", withKey(key.key))).headers.get("ratelimit")).toMatch(/^"identity\.minute";r=0;/);
  });

  it("stops counting against the identity it left from the next request there too", async () => {
    const identity = await createIdentity(here, { rateLimits: perMinute(2) });
    const key = await createKey(here, { identityId: identity.id });
    expect((await call(elsewhere, "/api/x", withKey(key.key))).status).toBe(200);
    await json(await admin(here, "PATCH", `/keys/${key.id}`, { identityId: null }), 200);
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await call(elsewhere, "/api/x", withKey(key.key))).status);
    expect(statuses).toEqual([200, 200, 200]);
    const other = await createKey(here, { identityId: identity.id });
    expect((await call(here, "/api/x", withKey(other.key))).status).toBe(200);
    expect((await call(here, "/api/x", withKey(other.key))).status).toBe(429);
  });
});

describe("an identity's Durable Object", () => {
  const here = gatewayEnv(routes, { LEASE_TTL_MS: "0" });
  const elsewhere = gatewayEnv(routes, { LEASE_TTL_MS: "0", KEY_CACHE_MAX_ENTRIES: "9998" });
  const identityObject = (id: string) => env.KEY_LIMITER.getByName(`identity:${id}`);

  it("keeps the shared counts, the identity's status and its keys' statuses across a restart", async () => {
    const identity = await createIdentity(here, { rateLimits: perMinute(3) });
    const a = await createKey(here, { identityId: identity.id });
    const b = await createKey(here, { identityId: identity.id });
    for (const key of [a, b]) expect((await call(elsewhere, "/api/x", withKey(key.key))).status).toBe(200);
    expect((await revokeKey(here, a.id)).status).toBe(204);
    await evictDurableObject(identityObject(identity.id));
    // `elsewhere` still holds both records as they were: only the object knows a is revoked.
    await expectProblem(await call(elsewhere, "/api/x", withKey(a.key)), 401, "revoked_key");
    expect((await call(elsewhere, "/api/x", withKey(b.key))).status).toBe(200);
    await expectProblem(await call(elsewhere, "/api/x", withKey(b.key)), 429, "rate_limited");

    await json(await admin(here, "PATCH", `/identities/${identity.id}`, { enabled: false }), 200);
    await evictDurableObject(identityObject(identity.id));
    await expectProblem(await call(elsewhere, "/api/x", withKey(b.key)), 401, "disabled_key");
  });

  it("answers GET /_gateway/me and GET /keys/{id}/limits with the identity's policies and the tighter quota", async () => {
    const identity = await createIdentity(here, { rateLimits: perMinute(5), quota: { limit: 10, period: "day" } });
    const key = await createKey(here, { identityId: identity.id, rateLimits: perMinute(50), quota: { limit: 100, period: "month" } });
    expect((await call(here, "/api/x", withKey(key.key))).status).toBe(200);
    const me = await json<{ rateLimits: { name: string; remaining: number }[]; quota: { limit: number; remaining: number } }>(
      await call(here, "/_gateway/me", withKey(key.key)),
      200,
    );
    expect(me.rateLimits.map((l) => [l.name, l.remaining])).toEqual([
      ["minute", 49],
      ["identity.minute", 4],
    ]);
    expect(me.quota).toMatchObject({ limit: 10, remaining: 9 });
    const limits = await json<{ state: string; rateLimits: { name: string; remaining: number }[] }>(
      await admin(here, "GET", `/keys/${key.id}/limits`),
      200,
    );
    expect(limits.state).toBe("allowed");
    expect(limits.rateLimits.map((l) => [l.name, l.remaining])).toEqual([
      ["minute", 49],
      ["identity.minute", 4],
    ]);
  });
});

describe("usage of all keys by identity", () => {
  const gateway = gatewayEnv(routes, { LEASE_TTL_MS: "0" });

  it("groups GET /usage?groupBy=identity by the identity the keys belong to, with its name, once its object has copied them", async () => {
    const identity = await createIdentity(gateway, { name: "Grouped", rateLimits: perMinute(3) });
    const a = await createKey(gateway, { identityId: identity.id });
    const b = await createKey(gateway, { identityId: identity.id });
    const alone = await createKey(gateway);
    for (const key of [a, b, a, b, alone]) await call(gateway, "/api/x", withKey(key.key));
    expect(await runDurableObjectAlarm(env.KEY_LIMITER.getByName(`identity:${identity.id}`))).toBe(true);
    expect(await runDurableObjectAlarm(env.KEY_LIMITER.getByName(`key:${alone.id}`))).toBe(true);
    const report = await json<UsageReport>(await admin(gateway, "GET", `/usage?groupBy=identity&keyIds=${a.id},${b.id},${alone.id}`), 200);
    expect(report.groups.map((g) => [g.group, g.name, g.total])).toEqual([
      [identity.id, "Grouped", { allowed: 3, rateLimited: 1, quotaExceeded: 0, unauthorized: 0 }],
    ]);
    expect(report.totals.reduce((sum, t) => sum + t.allowed, 0)).toBe(4);
  });
});
