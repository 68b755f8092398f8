// Usage export to billing from the built gateway to vendor endpoints on loopback: every payload
// checked against the vendor's published schema (test/e2e/fixtures/billing-vendor-schemas.ts),
// counts equal to the usage rollups, retries after failures, a restart mid-retry, and resends
// that carry the same ids.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import type { LocalGateway } from "../../dev/local-gateway.ts";
import {
  OPENMETER_EVENT,
  OPENMETER_METER_DATA,
  STRIPE_METER_EVENT_REQUEST,
  STRIPE_METER_PAYLOAD,
} from "./fixtures/billing-vendor-schemas.ts";
import { type BillingReceiver, startBillingReceiver } from "./support/billing-receiver.ts";
import { startGateway } from "./support/gateway.ts";

const ADMIN_TOKEN = "e2e-admin-token";
const HOUR = 3_600_000;
/** An interval closes five minutes after its end (src/billing/events.ts SETTLE_MS). */
const closedThrough = (now: number) => Math.floor((now - 5 * 60_000) / HOUR) * HOUR;
const iso = (ms: number) => new Date(ms).toISOString();

const stripeRequest = z.fromJSONSchema(STRIPE_METER_EVENT_REQUEST);
const stripePayload = z.fromJSONSchema(STRIPE_METER_PAYLOAD);
const openMeterEvent = z.fromJSONSchema(OPENMETER_EVENT);
const openMeterData = z.fromJSONSchema(OPENMETER_METER_DATA);

let receiver: BillingReceiver;
const gateways: LocalGateway[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  receiver = await startBillingReceiver();
});

afterAll(async () => {
  for (const gateway of gateways) await gateway.dispose().catch(() => undefined);
  await receiver?.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function start(bindings: Record<string, string>, persistDir?: string): Promise<LocalGateway> {
  // Retries 50 ms, 150 ms, 450 ms … instead of 5 s, 15 s, 45 s: the schedule's shape, faster.
  const gateway = await startGateway({
    bindings: { ADMIN_TOKEN, WEBHOOK_RETRY_BASE_MS: "50", GATEWAY_ROUTES: "[]", BILLING_EXPORT_TOKEN: "sk_test_billing", ...bindings },
    ...(persistDir && { persistDir }),
  });
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

/** An identity with one key; returns both ids. */
async function customer(gateway: LocalGateway, externalId: string, metadata: Record<string, unknown>) {
  const identity = await admin(gateway, "POST", "/identities", { externalId, metadata });
  expect(identity.status).toBe(201);
  const { id: identityId } = (await identity.json()) as { id: string };
  const key = await admin(gateway, "POST", "/keys", { name: externalId, identityId });
  expect(key.status).toBe(201);
  return { identityId, keyId: ((await key.json()) as { id: string }).id };
}

/** Usage rollup rows, as the key objects copy them to D1. */
async function rollup(gateway: LocalGateway, keyId: string, hour: number, route: string, allowed: number, rateLimited = 0) {
  const db = await gateway.miniflare.getD1Database("DB");
  await db
    .prepare("INSERT INTO usage_rollups (key_id, route, hour, allowed, rate_limited, quota_exceeded) VALUES (?, ?, ?, ?, ?, 0)")
    .bind(keyId, route, hour, allowed, rateLimited)
    .run();
}

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Allowed requests of one identity per hour, as the admin usage report reads the rollups. */
async function reportedAllowed(gateway: LocalGateway, identityId: string, from: number, to: number): Promise<number[]> {
  const response = await admin(gateway, "GET", `/usage?from=${iso(from)}&to=${iso(to)}&granularity=hour&groupBy=identity`);
  const report = (await response.json()) as { groups: { group: string; buckets: { allowed: number }[] }[] };
  return report.groups.find((g) => g.group === identityId)?.buckets.map((b) => b.allowed) ?? [];
}

describe("usage export to Stripe", () => {
  it("sends v2 meter events that match Stripe's schema, counts equal to the rollups, retried until accepted; a resend repeats the ids", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gateway-billing-"));
    dirs.push(dir);
    const gateway = await start({ BILLING_EXPORT: "stripe", BILLING_EXPORT_URL: `${receiver.url}/v2/billing/meter_events` }, dir);
    const paying = await customer(gateway, "cust-stripe-paying", { stripeCustomerId: "cus_Paying123" });
    const unmapped = await customer(gateway, "cust-stripe-unmapped", { plan: "free" });
    const last = closedThrough(Date.now());
    const [h1, h2] = [last - 2 * HOUR, last - HOUR];
    await rollup(gateway, paying.keyId, h1, "/v1/*", 5, 2);
    await rollup(gateway, paying.keyId, h1, "/v2/*", 3);
    await rollup(gateway, paying.keyId, h2, "/v1/*", 7);
    await rollup(gateway, unmapped.keyId, h1, "/v1/*", 4);

    receiver.failNext(1);
    const before = receiver.received.length;
    const resent = await admin(gateway, "POST", "/billing/export", { from: iso(h1), to: iso(last) });
    expect(resent.status).toBe(202);
    expect(await resent.json()).toEqual({ intervals: 2, events: 2, skipped: 1 });

    const ours = () =>
      receiver.received
        .slice(before)
        .filter((r) => (r.body.payload as { stripe_customer_id?: string })?.stripe_customer_id === "cus_Paying123");
    await until("both intervals accepted", () =>
      new Set(
        ours()
          .filter((r) => r.status === 200)
          .map((r) => r.body.identifier),
      ).size === 2
        ? true
        : undefined,
    );
    for (const request of ours()) {
      expect(stripeRequest.safeParse(request.body).error).toBeUndefined();
      expect(stripePayload.safeParse(request.body.payload).error).toBeUndefined();
      expect(request.path).toBe("/v2/billing/meter_events");
      expect(request.headers.authorization).toBe("Bearer sk_test_billing");
      expect(request.headers["stripe-version"]).toMatch(/^\d{4}-\d{2}-\d{2}\.\w+$/);
      expect(request.body.event_name).toBe("api_requests");
    }
    // The first attempt failed (500) and was retried with the same identifier.
    const failed = ours().filter((r) => r.status === 500);
    expect(failed).toHaveLength(1);
    expect(
      ours()
        .filter((r) => r.body.identifier === failed[0]!.body.identifier)
        .map((r) => r.status),
    ).toEqual([500, 200]);

    const accepted = new Map(
      ours()
        .filter((r) => r.status === 200)
        .map((r) => [r.body.timestamp as string, r.body]),
    );
    const values = [h1, h2].map(
      (h) => (accepted.get(iso(h + HOUR - 1000).replace(".000Z", "Z"))?.payload as { value?: string } | undefined)?.value,
    );
    expect(values).toEqual(["8", "7"]);
    expect((await reportedAllowed(gateway, paying.identityId, h1, last)).map(String)).toEqual(values);

    const status = (await (await admin(gateway, "GET", "/billing/export")).json()) as Record<string, unknown>;
    expect(status).toMatchObject({ enabled: true, vendor: "stripe", pending: 0, failed: 0, intervalSeconds: 3600 });
    expect(status.skipped).toContainEqual({ identityId: unmapped.identityId, intervalStart: iso(h1), reason: "no_stripe_customer_id" });

    // A resend of the same span: the same identifiers, so Stripe drops them as duplicates.
    const ids = new Set(ours().map((r) => r.body.identifier));
    const again = receiver.received.length;
    expect((await admin(gateway, "POST", "/billing/export", { from: iso(h1), to: iso(last) })).status).toBe(202);
    await until("the resend", () => (receiver.received.slice(again).filter((r) => r.status === 200).length >= 2 ? true : undefined));
    const resentIds = new Set(receiver.received.slice(again).map((r) => r.body.identifier));
    expect(resentIds).toEqual(ids);
  }, 60_000);

  it("resumes its retries after a restart, with the same identifier", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gateway-billing-"));
    dirs.push(dir);
    const bindings = { BILLING_EXPORT: "stripe", BILLING_EXPORT_URL: `${receiver.url}/v2/billing/meter_events` };
    const first = await start(bindings, dir);
    const paying = await customer(first, "cust-stripe-restart", { stripeCustomerId: "cus_Restart456" });
    const last = closedThrough(Date.now());
    await rollup(first, paying.keyId, last - 3 * HOUR, "/v1/*", 11);

    const mine = () =>
      receiver.received.filter((r) => (r.body.payload as { stripe_customer_id?: string })?.stripe_customer_id === "cus_Restart456");
    receiver.failNext(1_000);
    expect((await admin(first, "POST", "/billing/export", { from: iso(last - 3 * HOUR), to: iso(last - 2 * HOUR) })).status).toBe(202);
    const failed = await until("a failed attempt", () => mine().find((r) => r.status === 500));
    await first.dispose();
    receiver.failNext(0);

    const second = await start(bindings, dir);
    const accepted = await until("the event after restart", () => mine().find((r) => r.status === 200));
    expect(accepted.body.identifier).toBe(failed.body.identifier);
    expect(stripeRequest.safeParse(accepted.body).error).toBeUndefined();
    expect((accepted.body.payload as { value: string }).value).toBe("11");
    const status = (await (await admin(second, "GET", "/billing/export")).json()) as { pending: number; sent: number };
    expect(status.pending).toBe(0);
  }, 60_000);
});

describe("usage export to OpenMeter", () => {
  it("closes the last interval on the cron trigger and sends CloudEvents that match OpenMeter's schema, once", async () => {
    const gateway = await start({
      BILLING_EXPORT: "openmeter",
      BILLING_EXPORT_URL: `${receiver.url}/api/v1/events`,
      BILLING_EVENT_NAME: "gateway_requests",
    });
    const metered = await customer(gateway, "org-openmeter-1", {});
    const last = closedThrough(Date.now());
    await rollup(gateway, metered.keyId, last - HOUR, "/v1/*", 9, 1);
    await rollup(gateway, metered.keyId, last - HOUR, "/v2/*", 2);

    const mine = () => receiver.received.filter((r) => r.body.subject === "org-openmeter-1");
    const worker = await gateway.miniflare.getWorker();
    await worker.scheduled({ cron: "*/15 * * * *" });
    const event = await until("the interval's event", () => mine().find((r) => r.status === 200));
    expect(openMeterEvent.safeParse(event.body).error).toBeUndefined();
    expect(openMeterData.safeParse(event.body.data).error).toBeUndefined();
    expect(event.path).toBe("/api/v1/events");
    expect(event.headers["content-type"]).toBe("application/cloudevents+json");
    expect(event.headers.authorization).toBe("Bearer sk_test_billing");
    expect(event.body).toMatchObject({ specversion: "1.0", type: "gateway_requests", subject: "org-openmeter-1", data: { requests: 11 } });
    expect(await reportedAllowed(gateway, metered.identityId, last - HOUR, last)).toEqual([11]);

    const status = (await (await admin(gateway, "GET", "/billing/export")).json()) as Record<string, unknown>;
    expect(status).toMatchObject({ enabled: true, vendor: "openmeter", closedThrough: iso(last), pending: 0 });

    // Another cron run closes nothing new: no second event.
    await worker.scheduled({ cron: "*/15 * * * *" });
    await new Promise((resolve) => setTimeout(resolve, 300)); // the alarm would send at once: give it the chance
    expect(mine()).toHaveLength(1);

    // A resend: the same CloudEvents id and source, which OpenMeter deduplicates on.
    expect((await admin(gateway, "POST", "/billing/export", { from: iso(last - HOUR), to: iso(last) })).status).toBe(202);
    await until("the resent event", () => (mine().length === 2 ? true : undefined));
    expect(mine()[1]!.body.id).toBe(event.body.id);
    expect(mine()[1]!.body.source).toBe(event.body.source);
  }, 60_000);

  it("marks an event the vendor refuses (400) failed at once, and shows it in the status", async () => {
    const gateway = await start({ BILLING_EXPORT: "openmeter", BILLING_EXPORT_URL: `${receiver.url}/api/v1/events` });
    const refusedOne = await customer(gateway, "org-openmeter-refused", {});
    const last = closedThrough(Date.now());
    await rollup(gateway, refusedOne.keyId, last - 4 * HOUR, "/v1/*", 1);
    const mine = () => receiver.received.filter((r) => r.body.subject === "org-openmeter-refused");
    receiver.failNext(1, 400);
    expect((await admin(gateway, "POST", "/billing/export", { from: iso(last - 4 * HOUR), to: iso(last - 3 * HOUR) })).status).toBe(202);
    await until("the refused attempt", () => mine()[0]);
    let status:
      | { pending: number; failed: number; failures: { identityId: string; attempts: number; lastStatus: number | null }[] }
      | undefined;
    for (let i = 0; i < 100 && status?.failed !== 1; i++) {
      status = (await (await admin(gateway, "GET", "/billing/export")).json()) as typeof status;
      if (status?.failed !== 1) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(status).toMatchObject({
      pending: 0,
      failed: 1,
      failures: [{ identityId: refusedOne.identityId, attempts: 1, lastStatus: 400 }],
    });
    // Retries would have come within 50 ms, 150 ms, 450 ms: none does.
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(mine().map((r) => r.status)).toEqual([400]);
  }, 60_000);

  it("answers 409 to a resend while the export is off, and shows it off", async () => {
    const gateway = await start({});
    const refused = await admin(gateway, "POST", "/billing/export", { from: iso(Date.now() - 2 * HOUR), to: iso(Date.now()) });
    expect(refused.status).toBe(409);
    expect(refused.headers.get("content-type")).toContain("application/problem+json");
    expect(await (await admin(gateway, "GET", "/billing/export")).json()).toMatchObject({ enabled: false, vendor: null, pending: 0 });
  }, 60_000);
});
