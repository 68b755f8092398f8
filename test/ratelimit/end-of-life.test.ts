import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import type { UsageReport } from "../../src/admin/usage-report";
import { identityObjectName, keyObjectName } from "../../src/objects/names";
import { KEY_OBJECT_SCHEMA } from "../../src/ratelimit/key-limiter";
import { RETIRE_AFTER_MS } from "../../src/ratelimit/retirement";
import { admin, createIdentity, createKey, revokeKey } from "../support/admin";
import { call, gatewayEnv, json } from "../support/gateway";

const gateway = gatewayEnv([{ path: "/api/*", upstream: env.UPSTREAM_URL, rateLimits: [{ name: "minute", limit: 100, window: 60 }] }]);
const withKey = (key: string) => ({ headers: { "x-api-key": key } });

const allowedInD1 = async (keyId: string) =>
  (await json<UsageReport>(await admin(gateway, "GET", `/usage?groupBy=route&keyIds=${keyId}`), 200)).groups.map((g) => [
    g.group,
    g.total.allowed,
  ]);

/** The object's own tables, as its SQLite lists them (none once its storage is deleted). */
const tablesOf = (stub: DurableObjectStub) =>
  runInDurableObject(stub, (_, state) =>
    state.storage.sql
      .exec<{ name: string }>(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_cf%' ESCAPE '\\' AND name NOT LIKE 'sqlite%'",
      )
      .toArray()
      .map((row) => row.name),
  );

const retirementOf = (stub: DurableObjectStub) =>
  runInDurableObject(stub, (_, state) => state.storage.sql.exec<{ at: number }>("SELECT at FROM retirement").toArray()[0]?.at);

/**
 * Stands for RETIRE_AFTER_MS passing (no sleeping an hour): the stored retirement moves to the past,
 * and the object restarts so it reads it back.
 */
async function retirementPassed(stub: DurableObjectStub): Promise<void> {
  await runInDurableObject(stub, (_, state) => state.storage.sql.exec("UPDATE retirement SET at = ?", Date.now() - 1));
  await evictDurableObject(stub);
}

describe("end of life of key and identity objects", () => {
  it("a revoked key's object keeps refusing through a restart, then copies its last usage to D1 and deletes its storage", async () => {
    const key = await createKey(gateway);
    for (let i = 0; i < 2; i++) expect((await call(gateway, "/api/x", withKey(key.key))).status).toBe(200);
    const before = Date.now();
    await revokeKey(gateway, key.id);
    const stub = env.KEY_LIMITER.getByName(keyObjectName(key.id));

    await evictDurableObject(stub);
    const at = await retirementOf(stub);
    expect(at).toBeGreaterThanOrEqual(before + RETIRE_AFTER_MS);
    expect((await call(gateway, "/api/x", withKey(key.key))).status).toBe(401);
    // Before its retirement the alarm copies usage but keeps the storage (the revoked status refuses stale records).
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await allowedInD1(key.id)).toEqual([["/api/*", 2]]);
    expect(await tablesOf(stub)).toContain("key_status");
    expect(await runInDurableObject(stub, (_, state) => state.storage.getAlarm())).toBe(at);

    await retirementPassed(stub);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await tablesOf(stub)).toEqual([]);
    expect(await runInDurableObject(stub, (_, state) => state.storage.getAlarm())).toBeNull();
    expect(await allowedInD1(key.id)).toEqual([["/api/*", 2]]);
  });

  it("a deleted identity's object copies its keys' last usage to D1, then deletes its storage", async () => {
    const identity = await createIdentity(gateway);
    const key = await createKey(gateway, { identityId: identity.id });
    for (let i = 0; i < 3; i++) expect((await call(gateway, "/api/x", withKey(key.key))).status).toBe(200);
    await revokeKey(gateway, key.id);
    expect((await admin(gateway, "DELETE", `/identities/${identity.id}`)).status).toBe(204);
    const stub = env.KEY_LIMITER.getByName(identityObjectName(identity.id));
    expect(await retirementOf(stub)).toBeGreaterThan(Date.now());

    await retirementPassed(stub);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await allowedInD1(key.id)).toEqual([["/api/*", 3]]);
    expect(await tablesOf(stub)).toEqual([]);
  });

  it("a key that is not revoked keeps its object's storage", async () => {
    const key = await createKey(gateway);
    expect((await call(gateway, "/api/x", withKey(key.key))).status).toBe(200);
    const stub = env.KEY_LIMITER.getByName(keyObjectName(key.id));
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await retirementOf(stub)).toBeUndefined();
    expect(await tablesOf(stub)).toContain("key_status");
  });
});

describe("legacy client IP objects", () => {
  it("a KEY_LIMITER object an earlier version used for failed admin logins is deleted once that client is counted again", async () => {
    const ip = "198.51.100.77";
    const legacy = env.KEY_LIMITER.getByName(`admin-ip:${ip}`);
    // As the version before ClientIpCounter left it: windows in the key object's first schema.
    await runInDurableObject(legacy, (_, state) => {
      state.storage.sql.exec(KEY_OBJECT_SCHEMA[0]!);
      state.storage.sql.exec("INSERT INTO windows (id, window_ms) VALUES ('admin-auth-failures', 300000)");
    });
    expect(await tablesOf(legacy)).toContain("windows");

    const response = await call(gateway, "/_gateway/admin/keys", {
      headers: { "cf-connecting-ip": ip, authorization: "Bearer wrong-token" },
    });
    expect(response.status).toBe(401);
    await vi.waitFor(async () => expect(await tablesOf(legacy)).toEqual([]));
  });

  it("a key's object is never taken for a legacy one", async () => {
    const key = await createKey(gateway);
    expect((await call(gateway, "/api/x", withKey(key.key))).status).toBe(200);
    const stub = env.KEY_LIMITER.getByName(keyObjectName(key.id));
    await stub.retireLegacy();
    expect(await tablesOf(stub)).toContain("key_status");
  });
});
