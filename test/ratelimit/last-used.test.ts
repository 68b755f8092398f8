import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { admin, createKey, type KeyJson } from "../support/admin";
import { gatewayEnv, json, withKey } from "../support/gateway";

const gateway = gatewayEnv([{ path: "/api/*", upstream: env.UPSTREAM_URL }]);

describe("a key's lastUsedAt", () => {
  it("is copied from the key's Durable Object to D1 by its alarm, not on the request path", async () => {
    const created = await createKey(gateway);
    const before = Date.now();
    expect((await withKey(gateway, "/api/x", created.key)).status).toBe(200);
    expect((await json<KeyJson>(await admin(gateway, "GET", `/keys/${created.id}`), 200)).lastUsedAt).toBeNull();

    expect(await runDurableObjectAlarm(env.KEY_LIMITER.getByName(`key:${created.id}`))).toBe(true);
    const lastUsedAt = (await json<KeyJson>(await admin(gateway, "GET", `/keys/${created.id}`), 200)).lastUsedAt;
    expect(Date.parse(lastUsedAt!)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(lastUsedAt!)).toBeLessThanOrEqual(Date.now());
  });

  it("is not set by refused requests", async () => {
    const disabled = await createKey(gateway, { enabled: false });
    expect((await withKey(gateway, "/api/x", disabled.key)).status).toBe(401);
    expect(await runDurableObjectAlarm(env.KEY_LIMITER.getByName(`key:${disabled.id}`))).toBe(false);
  });
});
