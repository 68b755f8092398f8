// Webhook deliveries from the built gateway to a real receiver on loopback: signed, retried
// until the receiver takes them, resumed after a restart, never sent for a deleted webhook.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalGateway } from "../../dev/local-gateway.ts";
import { startGateway } from "./support/gateway.ts";
import { startWebhookReceiver, type WebhookReceiver } from "./support/webhook-receiver.ts";

const ADMIN_TOKEN = "e2e-admin-token";
// Retries 100 ms, 300 ms, 900 ms … instead of 5 s, 15 s, 45 s: the schedule's shape, faster.
const bindings = { ADMIN_TOKEN, WEBHOOK_RETRY_BASE_MS: "100", GATEWAY_ROUTES: "[]" };

let receiver: WebhookReceiver;
const gateways: LocalGateway[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  receiver = await startWebhookReceiver();
});

afterAll(async () => {
  for (const gateway of gateways) await gateway.dispose().catch(() => undefined);
  await receiver?.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function start(persistDir?: string): Promise<LocalGateway> {
  const gateway = await startGateway({ bindings, ...(persistDir && { persistDir }) });
  gateways.push(gateway);
  return gateway;
}

async function admin(gateway: LocalGateway, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${gateway.url}/_gateway/admin${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body !== undefined && { "content-type": "application/json" }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
}

async function createWebhook(gateway: LocalGateway, events: string[]): Promise<{ id: string; secret: string }> {
  const response = await admin(gateway, "POST", "/webhooks", { url: receiver.url, events });
  expect(response.status).toBe(201);
  const webhook = (await response.json()) as { id: string; secret: string };
  receiver.useSecret(webhook.secret);
  return webhook;
}

async function revokeNewKey(gateway: LocalGateway): Promise<string> {
  const created = (await (await admin(gateway, "POST", "/keys", { name: "hooked", owner: "acme" })).json()) as { id: string };
  expect((await admin(gateway, "DELETE", `/keys/${created.id}`)).status).toBe(204);
  return created.id;
}

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const attemptsFor = (id: string) => receiver.attempts.filter((a) => a.id === id);

describe("webhook delivery", () => {
  it("retries a signed event through three 500s until the receiver takes it, with one webhook-id", async () => {
    const gateway = await start();
    await createWebhook(gateway, ["key.revoked"]);
    receiver.failNext(3);
    const before = receiver.attempts.length;
    const keyId = await revokeNewKey(gateway);

    const delivered = await until("the delivery", () => receiver.attempts.slice(before).find((a) => a.status === 200));
    const attempts = attemptsFor(delivered.id);
    expect(attempts.map((a) => a.status)).toEqual([500, 500, 500, 200]);
    expect(attempts.every((a) => a.signatureValid)).toBe(true);
    expect(delivered.body.type).toBe("key.revoked");
    expect(delivered.body.data).toMatchObject({ keyId, name: "hooked", owner: "acme" });
    expect(JSON.stringify(delivered.body)).not.toMatch(/gk_live_|hash/);
    // Waits grow: each retry comes later after the previous attempt than the one before it.
    const gaps = attempts.slice(1).map((a, i) => a.timestamp - attempts[i]!.timestamp);
    expect(gaps.at(-1)!).toBeGreaterThanOrEqual(gaps[0]!);
  });

  it("shows every attempt in the delivery log, and sends a delivery again on request", async () => {
    const gateway = await start();
    const { id } = await createWebhook(gateway, ["key.revoked"]);
    receiver.failNext(1);
    const before = receiver.attempts.length;
    await revokeNewKey(gateway);
    const delivered = await until("the delivery", () => receiver.attempts.slice(before).find((a) => a.status === 200));

    const log = (await (await admin(gateway, "GET", `/webhooks/${id}/deliveries`)).json()) as {
      items: { id: string; status: string; attempts: { status: number | null }[] }[];
    };
    expect(log.items).toHaveLength(1);
    expect(log.items[0]).toMatchObject({ id: delivered.id, status: "delivered" });
    expect(log.items[0]!.attempts.map((a) => a.status)).toEqual([500, 200]);

    const resent = await admin(gateway, "POST", `/webhooks/${id}/deliveries/${delivered.id}/resend`);
    expect(resent.status).toBe(202);
    await until("the resent delivery", () => (attemptsFor(delivered.id).length === 3 ? true : undefined));
    expect(attemptsFor(delivered.id).at(-1)!.status).toBe(200);
  });

  it("sends a signed webhook.test message on request, to that webhook alone and whatever its events, and logs it", async () => {
    const gateway = await start();
    const { id } = await createWebhook(gateway, ["quota.threshold"]);
    const before = receiver.attempts.length;
    const response = await admin(gateway, "POST", `/webhooks/${id}/test`);
    expect(response.status).toBe(202);
    const queued = (await response.json()) as { id: string; type: string; status: string; event: { data: unknown } };
    expect(queued).toMatchObject({ type: "webhook.test", event: { data: { webhookId: id } } });

    const delivered = await until("the test message", () => receiver.attempts.slice(before).find((a) => a.status === 200));
    expect(delivered).toMatchObject({ id: queued.id, signatureValid: true, body: { type: "webhook.test", data: { webhookId: id } } });
    const log = (await (await admin(gateway, "GET", `/webhooks/${id}/deliveries`)).json()) as { items: { id: string; status: string }[] };
    expect(log.items).toEqual([expect.objectContaining({ id: queued.id, status: "delivered" })]);
    expect((await admin(gateway, "POST", "/webhooks/whk_nope/test")).status).toBe(404);
  });

  it("resumes a retry schedule after the gateway restarts, with the same message id", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gateway-webhooks-"));
    dirs.push(dir);
    const first = await start(dir);
    await createWebhook(first, ["key.revoked"]);
    receiver.failNext(2);
    const before = receiver.attempts.length;
    await revokeNewKey(first);
    const failed = await until("a failed attempt", () => receiver.attempts.slice(before).find((a) => a.status === 500));
    await first.dispose();

    await start(dir);
    const delivered = await until("the delivery after restart", () => attemptsFor(failed.id).find((a) => a.status === 200));
    expect(delivered.id).toBe(failed.id);
    expect(attemptsFor(failed.id).map((a) => a.status)).toEqual([500, 500, 200]);
  });

  it("sends nothing more for a webhook deleted while its retries are pending", async () => {
    const gateway = await start();
    const { id } = await createWebhook(gateway, ["key.revoked"]);
    receiver.failNext(1_000);
    const before = receiver.attempts.length;
    await revokeNewKey(gateway);
    await until("a failed attempt", () => receiver.attempts.slice(before).find((a) => a.status === 500));
    expect((await admin(gateway, "DELETE", `/webhooks/${id}`)).status).toBe(204);
    // An attempt already under way when the delete returned may still land; nothing after it.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const sent = receiver.attempts.length;
    // Several retry periods pass (100 ms, 300 ms, 900 ms): none may arrive.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(receiver.attempts.length).toBe(sent);
    receiver.failNext(0);
  });
});
