import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { KeyAlerts, QUIET_SPELL_MS } from "../../src/webhooks/key-alerts";
import { admin, createKey, localAdmin } from "../support/admin";
import { json } from "../support/gateway";

let webhookId: string;

beforeAll(async () => {
  const body = { url: `${env.UPSTREAM_URL}/hooks`, events: ["quota.threshold", "key.rate_limited"], thresholds: [50, 80, 100] };
  webhookId = (await json(await localAdmin(env, "POST", "/webhooks", body), 201)).id;
});

/** Runs `body` with alerts kept in a fresh key object's SQLite (its schema holds their tables). */
async function withAlerts<T>(body: (alerts: KeyAlerts) => Promise<T> | T): Promise<T> {
  const stub = env.KEY_LIMITER.getByName(`alerts-test:${crypto.randomUUID()}`);
  return runInDurableObject(stub, (_, state) => {
    return body(new KeyAlerts(state.storage.sql));
  });
}

interface Sent {
  id: string;
  type: string;
  event: { data: Record<string, unknown> };
}

async function sentFor(keyId: string): Promise<Sent[]> {
  const page = await json(await admin(env, "GET", `/webhooks/${webhookId}/deliveries?limit=100`), 200);
  return (page.items as Sent[]).filter((d) => d.event.data.keyId === keyId);
}

const quota = { limit: 10, period: "month" as const };
const periodStart = Date.UTC(2027, 0, 1);

describe("key alerts for webhooks", () => {
  it("announces each quota threshold once per period, however the count moves", async () => {
    const key = await createKey(env, { name: "metered", owner: "acme" });
    await withAlerts(async (alerts) => {
      expect(alerts.quotaSpent(key.id, quota, periodStart, 4)).toBe(true); // a new percent: the alarm looks, finds no threshold
      await alerts.send(env);
      expect(alerts.quotaSpent(key.id, quota, periodStart, 4)).toBe(false);
      expect(alerts.quotaSpent(key.id, quota, periodStart, 5)).toBe(true);
      await alerts.send(env);
      expect(alerts.quotaSpent(key.id, quota, periodStart, 4)).toBe(false); // a lease's unused units came back
      expect(alerts.quotaSpent(key.id, quota, periodStart, 5)).toBe(false);
      expect(alerts.quotaSpent(key.id, quota, periodStart, 10)).toBe(true);
      await alerts.send(env);
      await alerts.send(env);
      expect(alerts.quotaSpent(key.id, quota, periodStart + 31 * 86_400_000, 8)).toBe(true); // a new month
      await alerts.send(env);
    });
    const sent = await sentFor(key.id);
    const thresholds = sent.map((d) => [d.event.data.threshold, d.event.data.periodStart]);
    expect(thresholds.sort()).toEqual(
      [
        [50, "2027-01-01T00:00:00.000Z"],
        [80, "2027-01-01T00:00:00.000Z"],
        [100, "2027-01-01T00:00:00.000Z"],
        [50, "2027-02-01T00:00:00.000Z"],
        [80, "2027-02-01T00:00:00.000Z"],
      ].sort(),
    );
    expect(sent[0]!.event.data).toMatchObject({ keyId: key.id, name: "metered", owner: "acme", limit: 10, period: "month" });
  });

  it("queues the same message again, not a second one, when a send is retried", async () => {
    const key = await createKey(env);
    await withAlerts(async (alerts) => {
      alerts.quotaSpent(key.id, quota, periodStart, 9);
      await alerts.send(env);
    });
    await withAlerts(async (alerts) => {
      alerts.quotaSpent(key.id, quota, periodStart, 9); // an object that lost its mark replays the same alert
      await alerts.send(env);
    });
    expect((await sentFor(key.id)).length).toBe(2); // 50 and 80, once each
  });

  it("announces the first refusal of a spell, and again only after a quiet spell", async () => {
    const key = await createKey(env);
    const t0 = Date.now();
    await withAlerts(async (alerts) => {
      expect(alerts.refused(key.id, t0, "minute", 12)).toBe(true);
      await alerts.send(env);
      expect(alerts.refused(key.id, t0 + 1_000, "minute", 11, 40)).toBe(false);
      expect(alerts.refused(key.id, t0 + QUIET_SPELL_MS / 2, "minute", 5)).toBe(false);
      expect(alerts.refused(key.id, t0 + QUIET_SPELL_MS / 2 + QUIET_SPELL_MS - 1, "minute", 5)).toBe(false);
      expect(alerts.refused(key.id, t0 + 3 * QUIET_SPELL_MS, "day", 3600)).toBe(true);
      await alerts.send(env);
    });
    const sent = (await sentFor(key.id)).filter((d) => d.type === "key.rate_limited");
    expect(sent.map((d) => d.event.data.limit).sort()).toEqual(["day", "minute"]);
  });
});
