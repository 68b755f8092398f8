import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { keyObjectName } from "../../src/objects/names";
import { admin, createKey, localAdmin } from "../support/admin";
import { gatewayEnv, json, withKey } from "../support/gateway";

const gateway = gatewayEnv([{ path: "/api/*", upstream: env.UPSTREAM_URL }], { LEASE_TTL_MS: "0" });
let webhookId: string;

beforeAll(async () => {
  const body = { url: `${env.UPSTREAM_URL}/hooks`, events: ["quota.threshold", "key.rate_limited"], thresholds: [50, 100] };
  webhookId = (await json(await localAdmin(gateway, "POST", "/webhooks", body), 201)).id;
});

interface Sent {
  type: string;
  event: { data: Record<string, unknown> };
}

/** Runs the key object's alarm (as the runtime would, a moment later), then reads what was queued for the key. */
async function alertsFor(keyId: string): Promise<Sent[]> {
  await runDurableObjectAlarm(env.KEY_LIMITER.getByName(keyObjectName(keyId)));
  const page = await json(await admin(gateway, "GET", `/webhooks/${webhookId}/deliveries?limit=100`), 200);
  return (page.items as Sent[]).filter((d) => d.event.data.keyId === keyId);
}

describe("alerts raised by a key's requests", () => {
  it("announces each quota threshold the key's requests cross, once", async () => {
    const key = await createKey(gateway, { name: "metered", quota: { limit: 4, period: "month" } });
    for (let i = 0; i < 2; i++) expect((await withKey(gateway, "/api/x", key.key)).status).toBe(200);
    expect((await alertsFor(key.id)).map((d) => d.event.data.threshold)).toEqual([50]);
    for (let i = 0; i < 3; i++) await withKey(gateway, "/api/x", key.key);
    const sent = await alertsFor(key.id);
    expect(sent.map((d) => d.event.data.threshold).sort()).toEqual([100, 50]);
    expect(sent.find((d) => d.event.data.threshold === 100)!.event.data).toMatchObject({
      name: "metered",
      limit: 4,
      used: 4,
      period: "month",
    });
  });

  it("announces the first refusal of a key, not every refusal", async () => {
    const key = await createKey(gateway, { rateLimits: [{ name: "minute", limit: 1, window: 60 }] });
    expect((await withKey(gateway, "/api/x", key.key)).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await withKey(gateway, "/api/x", key.key)).status).toBe(429);
    const sent = await alertsFor(key.id);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ type: "key.rate_limited", event: { data: { keyId: key.id, limit: "minute" } } });
  });
});
