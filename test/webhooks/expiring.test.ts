import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import worker from "../../src/index";
import { admin, createKey, localAdmin } from "../support/admin";
import { json } from "../support/gateway";

const DAY = 86_400_000;
let webhookId: string;

async function runCron(at = Date.now()): Promise<void> {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ scheduledTime: at, cron: "*/15 * * * *" }), env, ctx);
  await waitOnExecutionContext(ctx);
}

interface DeliveryJson {
  type: string;
  event: { data: { keyId: string; subject: string; daysBefore: number; start: string | null } };
}

async function noticesFor(keyId: string): Promise<DeliveryJson["event"]["data"][]> {
  const page = await json(await admin(env, "GET", `/webhooks/${webhookId}/deliveries?limit=100`), 200);
  return (page.items as DeliveryJson[]).filter((d) => d.type === "key.expiring" && d.event.data.keyId === keyId).map((d) => d.event.data);
}

beforeAll(async () => {
  webhookId = (await json(await localAdmin(env, "POST", "/webhooks", { url: `${env.UPSTREAM_URL}/hooks`, events: ["key.expiring"] }), 201))
    .id;
});

describe("key.expiring notices (cron trigger)", () => {
  it("sends the 7-day notice once, however often the cron runs", async () => {
    const key = await createKey(env, { expiresAt: new Date(Date.now() + 3 * DAY).toISOString() });
    await runCron();
    await runCron();
    expect(await noticesFor(key.id)).toEqual([expect.objectContaining({ subject: "key", daysBefore: 7, start: null })]);
  });

  it("sends only the 1-day notice for a key that already expires within a day", async () => {
    const key = await createKey(env, { expiresAt: new Date(Date.now() + 12 * 3_600_000).toISOString() });
    await runCron();
    await runCron();
    expect((await noticesFor(key.id)).map((n) => n.daysBefore)).toEqual([1]);
  });

  it("then the 1-day notice when the 7-day one went out before", async () => {
    const expiresAt = Date.now() + 3 * DAY;
    const key = await createKey(env, { expiresAt: new Date(expiresAt).toISOString() });
    await runCron();
    await runCron(expiresAt - DAY / 2);
    expect((await noticesFor(key.id)).map((n) => n.daysBefore).sort()).toEqual([1, 7]);
  });

  it("warns before a rotated-out secret's grace period ends, naming its start, never the secret", async () => {
    const key = await createKey(env);
    const rotated = await json(await admin(env, "POST", `/keys/${key.id}/rotate`, { gracePeriodSeconds: 7200 }), 201);
    await runCron();
    const notices = await noticesFor(key.id);
    expect(notices).toEqual([expect.objectContaining({ subject: "secret", daysBefore: 1, start: key.start })]);
    expect(JSON.stringify(notices)).not.toContain(key.key);
    expect(JSON.stringify(notices)).not.toContain(rotated.key);
  });

  it("says nothing of revoked keys or keys far from expiry", async () => {
    const far = await createKey(env, { expiresAt: new Date(Date.now() + 30 * DAY).toISOString() });
    const revoked = await createKey(env, { expiresAt: new Date(Date.now() + DAY / 2).toISOString() });
    expect((await admin(env, "DELETE", `/keys/${revoked.id}`)).status).toBe(204);
    await runCron();
    expect(await noticesFor(far.id)).toEqual([]);
    expect(await noticesFor(revoked.id)).toEqual([]);
  });
});
