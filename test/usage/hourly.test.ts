import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { UsageReport } from "../../src/admin/usage-report";
import type { Env } from "../../src/env";
import type { KeyStatus } from "../../src/keys/record";
import { keyObjectName } from "../../src/objects/names";
import { KEY_OBJECT_SCHEMA, KeyLimiter } from "../../src/ratelimit/key-limiter";
import { admin } from "../support/admin";
import { gatewayEnv, json } from "../support/gateway";

const gateway = gatewayEnv([]);
const status: KeyStatus = { version: 1, enabled: true, expiresAt: null, revokedAt: null, secretExpiry: {}, quota: null };
const HOUR = 3_600_000;

const byRoute = async (keyId: string) =>
  (await json<UsageReport>(await admin(gateway, "GET", `/usage?groupBy=route&keyIds=${keyId}`), 200)).groups.map((g) => [g.group, g.total]);

/** The real D1 binding, except that every batch fails (as when D1 is unreachable). */
function failingBatches(): Env {
  const db = new Proxy(env.DB, {
    get(target, property) {
      if (property === "batch") return () => Promise.reject(new Error("D1 is unreachable"));
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { ...env, DB: db };
}

describe("a key object's usage copy to D1", () => {
  it("keeps counts made before routes were recorded, under the route unknown", async () => {
    const keyId = `key_upgraded_${crypto.randomUUID()}`;
    const hour = Date.now() - (Date.now() % HOUR) - HOUR;
    await runInDurableObject(env.KEY_LIMITER.getByName(keyObjectName(keyId)), async (_, state) => {
      await state.storage.deleteAll();
      state.storage.sql.exec(KEY_OBJECT_SCHEMA[0]!);
      state.storage.sql.exec("INSERT INTO usage_hours (hour, allowed, rate_limited) VALUES (?, 7, 2)", hour);
      const upgraded = new KeyLimiter(state, env);
      expect(upgraded.usageBetween(hour, hour + HOUR)).toEqual([{ start: hour, allowed: 7, rateLimited: 2, quotaExceeded: 0 }]);
      upgraded.check({ limits: [], cost: 1, route: "/api/*", key: { keyId, secretId: "sec", status } });
      await upgraded.alarm();
    });
    expect(await byRoute(keyId)).toEqual([
      ["unknown", { allowed: 7, rateLimited: 2, quotaExceeded: 0, unauthorized: 0 }],
      ["/api/*", { allowed: 1, rateLimited: 0, quotaExceeded: 0, unauthorized: 0 }],
    ]);
  });

  it("copies again after a failed copy: the alarm throws (so it is retried) and no count is lost", async () => {
    const keyId = `key_retried_${crypto.randomUUID()}`;
    await runInDurableObject(env.KEY_LIMITER.getByName(keyObjectName(keyId)), async (instance, state) => {
      for (let i = 0; i < 3; i++) instance.check({ limits: [], cost: 1, route: "/api/*", key: { keyId, secretId: "sec", status } });
      await expect(new KeyLimiter(state, failingBatches()).alarm()).rejects.toThrow("D1 is unreachable");
      await instance.alarm();
    });
    expect(await byRoute(keyId)).toEqual([["/api/*", { allowed: 3, rateLimited: 0, quotaExceeded: 0, unauthorized: 0 }]]);
  });
});
