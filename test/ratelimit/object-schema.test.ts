import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { KeyStatus } from "../../src/keys/record";
import { keyObjectName } from "../../src/objects/names";
import { KEY_OBJECT_SCHEMA, KeyLimiter } from "../../src/ratelimit/key-limiter";
import { migrateSchema, schemaVersion } from "../../src/ratelimit/object-schema";
import { admin, createKey, type KeyJson } from "../support/admin";
import { gatewayEnv, json, withKey } from "../support/gateway";

/** The tables a key object got from the code before its schema was versioned, verbatim. */
const UNVERSIONED_SCHEMA = `
CREATE TABLE IF NOT EXISTS windows (id TEXT PRIMARY KEY, window_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS window_entries (id TEXT NOT NULL, end_ms REAL NOT NULL, start_ms REAL NOT NULL, count REAL NOT NULL, PRIMARY KEY (id, end_ms)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS key_status (id INTEGER PRIMARY KEY CHECK (id = 1), status TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS quota_usage (id INTEGER PRIMARY KEY CHECK (id = 1), period TEXT NOT NULL, period_start INTEGER NOT NULL, used INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS usage_hours (hour INTEGER PRIMARY KEY, allowed INTEGER NOT NULL DEFAULT 0, rate_limited INTEGER NOT NULL DEFAULT 0, quota_exceeded INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS last_used (id INTEGER PRIMARY KEY CHECK (id = 1), key_id TEXT NOT NULL, at INTEGER NOT NULL);
`;

const status: KeyStatus = {
  version: 3,
  enabled: true,
  expiresAt: null,
  revokedAt: null,
  secretExpiry: {},
  quota: { limit: 10, period: "total" },
};
const minute = { id: "key:minute", name: "minute", limit: 3, window: 60 };

const windowIds = (keyId: string) =>
  runInDurableObject(env.KEY_LIMITER.getByName(keyObjectName(keyId)), (_, state) =>
    state.storage.sql
      .exec<{ id: string }>("SELECT id FROM windows ORDER BY id")
      .toArray()
      .map((row) => row.id),
  );

describe("the key object's schema", () => {
  it("upgrades an object made before versioning in place, keeping its counts, status and quota", async () => {
    const stub = env.KEY_LIMITER.getByName("key:made-before-versioning");
    const decisions = await runInDurableObject(stub, async (_, state) => {
      await state.storage.deleteAll();
      const now = Date.now();
      state.storage.sql.exec(UNVERSIONED_SCHEMA);
      state.storage.sql.exec("INSERT INTO windows (id, window_ms) VALUES ('key:minute', 60000)");
      state.storage.sql.exec("INSERT INTO window_entries (id, end_ms, start_ms, count) VALUES ('key:minute', ?, ?, 2)", now, now);
      state.storage.sql.exec("INSERT INTO key_status (id, status) VALUES (1, ?)", JSON.stringify(status));
      state.storage.sql.exec("INSERT INTO quota_usage (id, period, period_start, used) VALUES (1, 'total', 0, 9)");
      expect(schemaVersion(state.storage.sql)).toBe(0);

      const upgraded = new KeyLimiter(state, env);
      expect(schemaVersion(state.storage.sql)).toBe(KEY_OBJECT_SCHEMA.length);
      // A cached status of the same version does not replace the saved one, whose quota has one unit left
      // (an older one is sent back to be reloaded: docs/rate-limits.md "Every change within the bound").
      const key = { secretId: "sec_old", status: { ...status, quota: null } };
      const first = await upgraded.check({ limits: [minute], cost: 1, route: "/api/*", key });
      const second = await upgraded.check({ limits: [minute], cost: 1, route: "/api/*", key });
      return [first, second];
    });
    expect(decisions[0]).toMatchObject({ outcome: "allowed", policies: [{ name: "minute", remaining: 0 }], quota: { used: 10 } });
    expect(decisions[1]!.outcome).toBe("quota_exceeded");
  });

  it("applies each step once: a restarted object keeps its version and data", async () => {
    const stub = env.KEY_LIMITER.getByName("key:restarted-twice");
    const remaining = await runInDurableObject(stub, (instance, state) => {
      instance.check({ limits: [minute], cost: 1, route: "/api/*", key: { secretId: "sec", status } });
      const again = new KeyLimiter(state, env);
      expect(schemaVersion(state.storage.sql)).toBe(KEY_OBJECT_SCHEMA.length);
      return again.peek([minute])[0]!.remaining;
    });
    expect(remaining).toBe(2);
  });

  it("drops the windows of limits a key no longer has once a request of the new version arrives", async () => {
    const gateway = gatewayEnv([{ path: "/api/*", upstream: env.UPSTREAM_URL }]);
    const created = await createKey(gateway, {
      rateLimits: [
        { name: "minute", limit: 10, window: 60 },
        { name: "hour", limit: 100, window: 3600 },
      ],
    });
    expect((await withKey(gateway, "/api/x", created.key)).status).toBe(200);
    expect(await windowIds(created.id)).toEqual(["key:hour", "key:minute"]);

    await json(await admin(gateway, "PATCH", `/keys/${created.id}`, { rateLimits: [{ name: "minute", limit: 10, window: 60 }] }), 200);
    expect((await withKey(gateway, "/api/x", created.key)).status).toBe(200);
    expect(await windowIds(created.id)).toEqual(["key:minute"]);
  });

  it("drops windows left empty after pruning when the key changes", async () => {
    const gateway = gatewayEnv([{ path: "/api/*", upstream: env.UPSTREAM_URL, rateLimits: [{ name: "burst", limit: 5, window: 1 }] }]);
    const created = await createKey(gateway);
    expect((await withKey(gateway, "/api/x", created.key)).status).toBe(200);
    expect(await windowIds(created.id)).toEqual(["route:/api/*:burst"]);

    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await json(await admin(gateway, "PATCH", `/keys/${created.id}`, { name: "renamed" }), 200);
    expect(await windowIds(created.id)).toEqual([]);
  });

  it("upgrades a key object of step 4 to per-key usage and last use, keeping both", async () => {
    const gateway = gatewayEnv([{ path: "/api/*", upstream: env.UPSTREAM_URL }]);
    const created = await createKey(gateway);
    const hour = Date.now() - (Date.now() % 3_600_000);
    const usedAt = Date.now() - 5_000;
    await runInDurableObject(env.KEY_LIMITER.getByName(keyObjectName(created.id)), async (_, state) => {
      await state.storage.deleteAll();
      migrateSchema(state.storage, KEY_OBJECT_SCHEMA.slice(0, 4));
      state.storage.sql.exec("INSERT INTO usage_owner (id, key_id) VALUES (1, ?)", created.id);
      state.storage.sql.exec("INSERT INTO usage_route_hours (hour, route, allowed, rate_limited) VALUES (?, '/api/*', 4, 1)", hour);
      state.storage.sql.exec("INSERT INTO last_used (id, key_id, at) VALUES (1, ?, ?)", created.id, usedAt);
      const upgraded = new KeyLimiter(state, env);
      expect(schemaVersion(state.storage.sql)).toBe(KEY_OBJECT_SCHEMA.length);
      expect(upgraded.usageBetween(hour, hour + 3_600_000)).toEqual([{ start: hour, allowed: 4, rateLimited: 1, quotaExceeded: 0 }]);
      await upgraded.alarm();
    });
    const key = await json<KeyJson>(await admin(gateway, "GET", `/keys/${created.id}`), 200);
    expect(key.lastUsedAt).toBe(new Date(usedAt).toISOString());
    const usage = await json<{ buckets: { allowed: number }[] }>(await admin(gateway, "GET", `/keys/${created.id}/usage`), 200);
    expect(usage.buckets.reduce((sum, b) => sum + b.allowed, 0)).toBe(4);
  });
});
