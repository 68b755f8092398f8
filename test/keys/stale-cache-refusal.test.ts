import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { isolateKeyCache, KeyCache } from "../../src/keys/cache";
import { hashKey } from "../../src/keys/format";
import type { KeyStatus } from "../../src/keys/record";
import { keyObjectName } from "../../src/objects/names";
import { admin, createKey } from "../support/admin";
import { expectProblem, gatewayEnv, json, withKey } from "../support/gateway";

const gateway = gatewayEnv([{ path: "/api/*", upstream: env.UPSTREAM_URL }]);

/** This isolate's cached record for a key, if any (the cache is shared by every env in the isolate). */
async function cachedRecord(key: string) {
  return isolateKeyCache(10_000, 60_000).get(await hashKey(key), Date.now())?.record;
}

/** The key status the key's Durable Object has stored, read inside the object. */
function storedStatus(keyId: string): Promise<KeyStatus> {
  return runInDurableObject(env.KEY_LIMITER.getByName(keyObjectName(keyId)), (_, state) => {
    const row = state.storage.sql.exec<{ status: string }>("SELECT status FROM key_status").one();
    return JSON.parse(row.status) as KeyStatus;
  });
}

/**
 * The admin write happens "in another isolate": this isolate's cache is not told, so the key's
 * record stays cached here and only the key's Durable Object knows of the change.
 */
describe("a changed key is refused on the next request even where it is still cached", () => {
  beforeEach(() => {
    vi.spyOn(KeyCache.prototype, "forgetKey").mockImplementation(() => {});
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("refuses a revoked key", async () => {
    const created = await createKey(gateway);
    expect((await withKey(gateway, "/api/x", created.key)).status).toBe(200);
    expect((await admin(gateway, "DELETE", `/keys/${created.id}`)).status).toBe(204);
    expect((await cachedRecord(created.key))?.revokedAt).toBeNull();
    expect((await storedStatus(created.id)).revokedAt).not.toBeNull();
    await expectProblem(await withKey(gateway, "/api/x", created.key), 401, "revoked_key");
  });

  it("refuses a disabled key, and admits it again once re-enabled", async () => {
    const created = await createKey(gateway);
    expect((await withKey(gateway, "/api/x", created.key)).status).toBe(200);
    await json(await admin(gateway, "PATCH", `/keys/${created.id}`, { enabled: false }), 200);
    expect((await cachedRecord(created.key))?.enabled).toBe(true);
    await expectProblem(await withKey(gateway, "/api/x", created.key), 401, "disabled_key");
    await json(await admin(gateway, "PATCH", `/keys/${created.id}`, { enabled: true }), 200);
    expect((await withKey(gateway, "/api/x", created.key)).status).toBe(200);
  });

  it("refuses a rotated-out secret", async () => {
    const created = await createKey(gateway);
    expect((await withKey(gateway, "/api/x", created.key)).status).toBe(200);
    await json(await admin(gateway, "POST", `/keys/${created.id}/rotate`, { gracePeriodSeconds: 0 }), 201);
    expect((await cachedRecord(created.key))?.secretExpiresAt).toBeNull();
    await expectProblem(await withKey(gateway, "/api/x", created.key), 401, "expired_key");
  });

  it("refuses a key whose expiry was moved into the past", async () => {
    const created = await createKey(gateway);
    expect((await withKey(gateway, "/api/x", created.key)).status).toBe(200);
    await json(await admin(gateway, "PATCH", `/keys/${created.id}`, { expiresAt: new Date(Date.now() - 1000).toISOString() }), 200);
    expect((await cachedRecord(created.key))?.expiresAt).toBeNull();
    await expectProblem(await withKey(gateway, "/api/x", created.key), 401, "expired_key");
  });

  it("applies a quota set after the key was cached", async () => {
    const created = await createKey(gateway);
    expect((await withKey(gateway, "/api/x", created.key)).status).toBe(200);
    await json(await admin(gateway, "PATCH", `/keys/${created.id}`, { quota: { limit: 1, period: "total" } }), 200);
    expect((await cachedRecord(created.key))?.quota).toBeNull();
    expect((await withKey(gateway, "/api/x", created.key)).status).toBe(200);
    await expectProblem(await withKey(gateway, "/api/x", created.key), 429, "quota_exceeded");
  });
});

/**
 * With LEASE_TTL_MS=0 every change applies on the next request everywhere: the key's object knows a
 * newer version than the cached record, so the record is reloaded before the request is judged.
 */
describe("with LEASE_TTL_MS=0, a change to what only the record knows applies on the next request where the key is still cached", () => {
  const everywhere = gatewayEnv(
    [
      { path: "/api/*", upstream: env.UPSTREAM_URL },
      { path: "/write/*", upstream: env.UPSTREAM_URL, scopes: ["write"] },
    ],
    { LEASE_TTL_MS: "0" },
  );
  beforeEach(() => {
    vi.spyOn(KeyCache.prototype, "forgetKey").mockImplementation(() => {});
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("refuses a key whose scope was removed", async () => {
    const created = await createKey(everywhere, { scopes: ["write"] });
    expect((await withKey(everywhere, "/write/x", created.key)).status).toBe(200);
    await json(await admin(everywhere, "PATCH", `/keys/${created.id}`, { scopes: [] }), 200);
    expect((await cachedRecord(created.key))?.scopes).toEqual(["write"]);
    await expectProblem(await withKey(everywhere, "/write/x", created.key), 403, "insufficient_scope");
  });

  it("admits a key whose missing scope was added", async () => {
    const created = await createKey(everywhere);
    await expectProblem(await withKey(everywhere, "/write/x", created.key), 403, "insufficient_scope");
    await json(await admin(everywhere, "PATCH", `/keys/${created.id}`, { scopes: ["write"] }), 200);
    expect((await cachedRecord(created.key))?.scopes).toEqual([]);
    expect((await withKey(everywhere, "/write/x", created.key)).status).toBe(200);
  });

  it("refuses a key whose IP allowlist was tightened", async () => {
    const created = await createKey(everywhere);
    expect((await withKey(everywhere, "/api/x", created.key)).status).toBe(200);
    await json(await admin(everywhere, "PATCH", `/keys/${created.id}`, { ipAllowlist: ["192.0.2.0/24"] }), 200);
    expect((await cachedRecord(created.key))?.ipRanges).toBeNull();
    await expectProblem(await withKey(everywhere, "/api/x", created.key), 403, "ip_not_allowed");
  });

  it("refuses a key whose rate limit was lowered below what it has used", async () => {
    const created = await createKey(everywhere, { rateLimits: [{ name: "minute", limit: 100, window: 60 }] });
    for (let i = 0; i < 2; i++) expect((await withKey(everywhere, "/api/x", created.key)).status).toBe(200);
    await json(await admin(everywhere, "PATCH", `/keys/${created.id}`, { rateLimits: [{ name: "minute", limit: 2, window: 60 }] }), 200);
    await expectProblem(await withKey(everywhere, "/api/x", created.key), 429, "rate_limited");
  });
});
