import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Env } from "../../src/env";
import type { VerifyResult } from "../../src/gateway/verify";
import { generateKey } from "../../src/keys/format";
import { admin, createKey, revokeKey } from "../support/admin";
import { call, countingD1, expectProblem, gatewayEnv, json, recordingDataset, withKey } from "../support/gateway";

const routes = [
  { path: "/api/*", upstream: env.UPSTREAM_URL },
  { path: "/search", upstream: env.UPSTREAM_URL, scopes: ["search"], rateLimits: [{ name: "search", limit: 3, window: 60 }] },
];
const gateway = gatewayEnv(routes);

function verifyWith(target: typeof gateway, token: string | undefined, body: unknown): Promise<Response> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  return call(target, "/_gateway/verify", { method: "POST", headers, body: JSON.stringify(body) });
}

async function verify(body: Record<string, unknown>, target = gateway): Promise<VerifyResult> {
  return json<VerifyResult>(await verifyWith(target, env.ADMIN_TOKEN, body), 200);
}

describe("POST /_gateway/verify", () => {
  it("answers valid with the key's id, owner, scopes, metadata and its limits after spending one unit", async () => {
    const created = await createKey(gateway, {
      owner: "acme",
      scopes: ["read"],
      metadata: { plan: "pro" },
      rateLimits: [{ name: "minute", limit: 10, window: 60 }],
      quota: { limit: 100, period: "month" },
    });
    const result = await verify({ key: created.key });
    expect(result).toMatchObject({
      valid: true,
      code: "valid",
      keyId: created.id,
      identityId: null,
      owner: "acme",
      scopes: ["read"],
      metadata: { plan: "pro" },
      ratelimits: [{ name: "minute", limit: 10, remaining: 9 }],
      quota: { limit: 100, remaining: 99 },
    });
    expect(result.ratelimits[0]?.reset).toBeGreaterThan(0);
  });

  it("answers the code a proxied request would get for revoked, expired, disabled, unknown and malformed keys", async () => {
    const revoked = await createKey(gateway);
    expect((await revokeKey(gateway, revoked.id)).status).toBe(204);
    const expired = await createKey(gateway, { expiresAt: new Date(Date.now() - 1000).toISOString() });
    const disabled = await createKey(gateway, { enabled: false });

    expect(await verify({ key: revoked.key })).toMatchObject({ valid: false, code: "revoked_key", keyId: revoked.id });
    expect(await verify({ key: expired.key })).toMatchObject({ valid: false, code: "expired_key", keyId: expired.id });
    expect(await verify({ key: disabled.key })).toMatchObject({ valid: false, code: "disabled_key", keyId: disabled.id });
    expect(await verify({ key: generateKey("gk_live") })).toEqual({
      valid: false,
      code: "invalid_key",
      keyId: null,
      identityId: null,
      owner: null,
      scopes: [],
      metadata: {},
      ratelimits: [],
      quota: null,
    });
    expect(await verify({ key: "gk_live_not-a-key" })).toMatchObject({ valid: false, code: "invalid_key", keyId: null });
  });

  it("refuses a malformed key without any D1 query, and a warm key with none either", async () => {
    const created = await createKey(gateway);
    const counted = countingD1(env.DB);
    const target = gatewayEnv(routes, { DB: counted.db });
    // A changed checksum character (one that differs from the key's own, which is random).
    const badChecksum = `${created.key.slice(0, -1)}${created.key.endsWith("x") ? "y" : "x"}`;
    expect(await verify({ key: badChecksum }, target)).toMatchObject({ code: "invalid_key" });
    expect(await verify({ key: "gk_live_short" }, target)).toMatchObject({ code: "invalid_key" });
    expect(counted.queries()).toBe(0);

    expect(await verify({ key: created.key }, target)).toMatchObject({ code: "valid" });
    const cold = counted.queries();
    expect(await verify({ key: created.key }, target)).toMatchObject({ code: "valid" });
    expect(counted.queries()).toBe(cold);
  });

  it("costs one Durable Object call and no D1 query once warm, like a proxied request", async () => {
    const created = await createKey(gateway);
    let objectCalls = 0;
    const counting = <T extends object>(namespace: T): T =>
      new Proxy(namespace, {
        get(target, property) {
          const value = Reflect.get(target, property, target);
          if (property !== "getByName" || typeof value !== "function") return typeof value === "function" ? value.bind(target) : value;
          return (name: string) => {
            objectCalls++;
            return value.call(target, name);
          };
        },
      });
    const d1 = countingD1(env.DB);
    const target = gatewayEnv(routes, {
      DB: d1.db,
      LEASE_TTL_MS: "0",
      KEY_LIMITER: counting(env.KEY_LIMITER),
      CLIENT_IP_COUNTER: counting(env.CLIENT_IP_COUNTER),
    });
    expect(await verify({ key: created.key }, target)).toMatchObject({ valid: true });
    const [objectsBefore, queriesBefore] = [objectCalls, d1.queries()];
    expect(await verify({ key: created.key }, target)).toMatchObject({ valid: true });
    expect(objectCalls - objectsBefore).toBe(1);
    expect(d1.queries() - queriesBefore).toBe(0);
  });

  it("verifies an imported key of a registered foreign shape", async () => {
    const key = `sk_verify_${crypto.randomUUID().replaceAll("-", "")}`;
    const report = await json(
      await admin(gateway, "POST", "/keys/import", { prefix: "sk_verify", keys: [{ key, name: "imported" }] }),
      200,
    );
    expect(await verify({ key })).toMatchObject({ valid: true, keyId: report.imported[0].id });
  });

  it("shares one budget with proxied requests on the same key: exactly the limit is admitted in a parallel mix", async () => {
    const created = await createKey(gateway, { rateLimits: [{ name: "minute", limit: 10, window: 60 }] });
    const [verified, proxied] = await Promise.all([
      Promise.all(Array.from({ length: 12 }, () => verify({ key: created.key }))),
      Promise.all(Array.from({ length: 12 }, () => withKey(gateway, "/api/x", created.key))),
    ]);
    const admittedByVerify = verified.filter((r) => r.valid).length;
    const admittedByProxy = proxied.filter((r) => r.status === 200).length;
    expect(admittedByVerify + admittedByProxy).toBe(10);
    expect(verified.filter((r) => !r.valid).every((r) => r.code === "rate_limited")).toBe(true);
    expect(proxied.filter((r) => r.status !== 200).every((r) => r.status === 429)).toBe(true);
  });

  it("spends nothing on a dry run, but judges the cost it names", async () => {
    const created = await createKey(gateway, {
      rateLimits: [{ name: "minute", limit: 3, window: 60 }],
      quota: { limit: 50, period: "day" },
    });
    for (let i = 0; i < 4; i++) {
      expect(await verify({ key: created.key, dryRun: true })).toMatchObject({
        valid: true,
        ratelimits: [{ remaining: 3 }],
        quota: { remaining: 50 },
      });
    }
    expect(await verify({ key: created.key, dryRun: true, cost: 4 })).toMatchObject({ valid: false, code: "rate_limited" });
    expect(await verify({ key: created.key, dryRun: true, cost: 51 })).toMatchObject({ valid: false, code: "quota_exceeded" });
    expect(await verify({ key: created.key })).toMatchObject({ valid: true, ratelimits: [{ remaining: 2 }] });
  });

  // With leases the object's refusal is kept by the isolate's lease slot, without them by the denial memo: both must let a smaller cost ask again.
  for (const [mode, target] of [
    ["with leases", gateway],
    ["without leases", gatewayEnv(routes, { LEASE_TTL_MS: "0" })],
  ] as const) {
    it(`spends \`cost\` units at once; a cost over what is left is refused and spends nothing, even over the whole limit (${mode})`, async () => {
      const created = await createKey(target, { rateLimits: [{ name: "minute", limit: 10, window: 60 }] });
      expect(await verify({ key: created.key, cost: 5 }, target)).toMatchObject({ valid: true, ratelimits: [{ remaining: 5 }] });
      expect(await verify({ key: created.key, cost: 6 }, target)).toMatchObject({ valid: false, code: "rate_limited" });
      expect(await verify({ key: created.key, cost: 11 }, target)).toMatchObject({ valid: false, code: "rate_limited" });
      expect(await verify({ key: created.key, cost: 5 }, target)).toMatchObject({ valid: true, ratelimits: [{ remaining: 0 }] });
      expect((await withKey(target, "/api/x", created.key)).status).toBe(429);
    });
  }

  it("answers quota_exceeded once the key's quota is spent, through verify and proxy alike", async () => {
    const created = await createKey(gateway, { quota: { limit: 2, period: "day" } });
    expect((await withKey(gateway, "/api/x", created.key)).status).toBe(200);
    expect(await verify({ key: created.key })).toMatchObject({ valid: true, quota: { limit: 2, remaining: 0 } });
    expect(await verify({ key: created.key })).toMatchObject({ valid: false, code: "quota_exceeded", quota: { remaining: 0 } });
  });

  it("refuses a key lacking a required scope, and an IP outside its allowlist, before spending", async () => {
    const created = await createKey(gateway, {
      scopes: ["read"],
      ipAllowlist: ["203.0.113.0/24"],
      rateLimits: [{ name: "minute", limit: 5, window: 60 }],
    });
    expect(await verify({ key: created.key, scopes: ["read", "write"] })).toMatchObject({
      valid: false,
      code: "insufficient_scope",
      keyId: created.id,
      ratelimits: [],
    });
    expect(await verify({ key: created.key, ip: "198.51.100.7" })).toMatchObject({ valid: false, code: "ip_not_allowed" });
    expect(await verify({ key: created.key, scopes: ["read"], ip: "203.0.113.9" })).toMatchObject({
      valid: true,
      ratelimits: [{ remaining: 4 }],
    });
  });

  it("applies a named route's scopes and limits, counted together with proxied requests on that route", async () => {
    const created = await createKey(gateway, { scopes: ["search"] });
    expect((await withKey(gateway, "/search", created.key)).status).toBe(200);
    expect(await verify({ key: created.key, route: "/search" })).toMatchObject({
      valid: true,
      ratelimits: [{ name: "search", limit: 3, remaining: 1 }],
    });
    expect(await verify({ key: created.key, route: "/search" })).toMatchObject({ valid: true });
    expect((await withKey(gateway, "/search", created.key)).status).toBe(429);
    const unscoped = await createKey(gateway);
    expect(await verify({ key: unscoped.key, route: "/search" })).toMatchObject({ code: "insufficient_scope" });
  });

  it("writes the usage data point a proxied request would, but none for a dry run", async () => {
    const { dataset, points } = recordingDataset();
    const target = gatewayEnv(routes, { USAGE: dataset });
    const created = await createKey(target, { owner: "acme", rateLimits: [{ name: "minute", limit: 1, window: 60 }] });
    await verify({ key: created.key }, target);
    await verify({ key: created.key }, target);
    await verify({ key: created.key, dryRun: true }, target);
    await verify({ key: generateKey("gk_live") }, target);
    const verifies = points.filter((p) => p.blobs?.[0] === "/_gateway/verify");
    expect(verifies.map((p) => [p.indexes?.[0], p.blobs?.[2], p.blobs?.[3], p.doubles?.[0]])).toEqual([
      [created.id, "allowed", "acme", 200],
      [created.id, "rate_limited", "acme", 429],
      ["anonymous", "invalid_key", "", 401],
    ]);
  });

  it("counts verify calls in the key's usage", async () => {
    const created = await createKey(gateway, { rateLimits: [{ name: "minute", limit: 1, window: 60 }] });
    await verify({ key: created.key });
    await verify({ key: created.key });
    const usage = await json(await admin(gateway, "GET", `/keys/${created.id}/usage?granularity=day`), 200);
    const total = usage.buckets.reduce(
      (sum: { allowed: number; rateLimited: number }, b: { allowed: number; rateLimited: number }) => ({
        allowed: sum.allowed + b.allowed,
        rateLimited: sum.rateLimited + b.rateLimited,
      }),
      { allowed: 0, rateLimited: 0 },
    );
    expect(total).toEqual({ allowed: 1, rateLimited: 1 });
  });

  it("needs an admin or operator token with keys:verify", async () => {
    const created = await createKey(gateway);
    await expectProblem(await verifyWith(gateway, undefined, { key: created.key }), 401, "missing_key");
    await expectProblem(await verifyWith(gateway, "not-the-token", { key: created.key }), 401, "invalid_token");
    const reader = await json(await admin(gateway, "POST", "/operators", { name: "reader", scopes: ["keys:read"] }), 201);
    await expectProblem(await verifyWith(gateway, reader.token, { key: created.key }), 403, "insufficient_scope");
    const service = await json(await admin(gateway, "POST", "/operators", { name: "service", scopes: ["keys:verify"] }), 201);
    expect(await json(await verifyWith(gateway, service.token, { key: created.key }), 200)).toMatchObject({ valid: true });
  });

  it("answers 400 invalid_request naming each bad field, and for a route no configuration has", async () => {
    const bad = await expectProblem(
      await verifyWith(gateway, env.ADMIN_TOKEN, { key: 5, cost: 0, dryRun: "yes", ip: "nope", extra: 1 }),
      400,
      "invalid_request",
    );
    for (const field of ["key", "cost", "dryRun", "ip"]) expect(bad.detail).toContain(field);
    const route = await expectProblem(await verifyWith(gateway, env.ADMIN_TOKEN, { key: "x", route: "/nowhere" }), 400, "invalid_request");
    expect(route.detail).toContain("route");
    await expectProblem(
      await call(gateway, "/_gateway/verify", {
        method: "POST",
        headers: { authorization: `Bearer ${env.ADMIN_TOKEN}`, "content-type": "application/json" },
        body: "{not json",
      }),
      400,
      "invalid_request",
    );
  });

  it("answers 503 limiter_unavailable when the key's object is unreachable, and valid on a fail-open route as the proxy would", async () => {
    const created = await createKey(gateway);
    const unreachable = {
      getByName: () => ({ check: () => Promise.reject(new Error("Durable Object reset because its code was updated.")) }),
    } as unknown as Env["KEY_LIMITER"];
    const failing = gatewayEnv([...routes, { path: "/open/*", upstream: env.UPSTREAM_URL, onLimiterError: "open" }], {
      KEY_LIMITER: unreachable,
    });
    const problem = await expectProblem(await verifyWith(failing, env.ADMIN_TOKEN, { key: created.key }), 503, "limiter_unavailable");
    expect(problem.detail).not.toContain("Durable Object reset");
    expect(await verify({ key: created.key, route: "/open/*" }, failing)).toMatchObject({ valid: true, keyId: created.id, ratelimits: [] });
  });
});
