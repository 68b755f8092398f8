// The usage export's panel on the dashboard's Overview in a real Chromium, against the built gateway
// exporting to a loopback receiver that refuses every event: pending work and the failure are shown.
import chromium from "@sparticuz/chromium";
import { type Browser, type Page, chromium as playwright } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalGateway } from "../../dev/local-gateway.ts";
import { type BillingReceiver, startBillingReceiver } from "./support/billing-receiver.ts";
import { startGateway } from "./support/gateway.ts";
import { screenshots, WIDTHS } from "./support/screenshots.ts";

const ADMIN_TOKEN = "dashboard-billing-e2e-admin-token";
const HOUR = 3_600_000;

let receiver: BillingReceiver;
let gateway: LocalGateway;
let browser: Browser;
let page: Page;
const shoot = screenshots(() => page, "dashboard");
const consoleErrors: string[] = [];

beforeAll(async () => {
  receiver = await startBillingReceiver();
  receiver.failNext(1_000_000);
  [gateway, browser] = await Promise.all([
    startGateway({
      bindings: {
        ADMIN_TOKEN,
        GATEWAY_ROUTES: "[]",
        BILLING_EXPORT: "openmeter",
        BILLING_EXPORT_URL: `${receiver.url}/api/v1/events`,
        BILLING_EXPORT_TOKEN: "om_test",
        WEBHOOK_RETRY_BASE_MS: "50",
      },
    }),
    playwright.launch({ executablePath: await chromium.executablePath(), args: chromium.args, headless: true }),
  ]);
  page = await browser.newPage({ viewport: { width: WIDTHS[0], height: 900 }, locale: "en-US", timezoneId: "UTC" });
  page.on("pageerror", (error) => consoleErrors.push(error.message));
});

afterAll(async () => {
  await browser?.close();
  await gateway?.dispose();
  await receiver?.close();
});

function admin(method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${gateway.url}/_gateway/admin${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body !== undefined && { "content-type": "application/json" }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
}

describe("the dashboard's usage export panel", () => {
  it("shows the vendor, counts and the failing identity", async () => {
    const identity = (await (await admin("POST", "/identities", { externalId: "org-panel", metadata: {} })).json()) as { id: string };
    const key = (await (await admin("POST", "/keys", { name: "panel", identityId: identity.id })).json()) as { id: string };
    const hour = Math.floor((Date.now() - 5 * 60_000) / HOUR) * HOUR - 2 * HOUR;
    const db = await gateway.miniflare.getD1Database("DB");
    await db
      .prepare("INSERT INTO usage_rollups (key_id, route, hour, allowed, rate_limited, quota_exceeded) VALUES (?, '/v1/*', ?, 3, 0, 0)")
      .bind(key.id, hour)
      .run();
    const from = new Date(hour).toISOString();
    expect((await admin("POST", "/billing/export", { from, to: new Date(hour + HOUR).toISOString() })).status).toBe(202);
    for (let i = 0; i < 200 && !receiver.received.some((r) => r.body.subject === "org-panel"); i++)
      await new Promise((r) => setTimeout(r, 25));

    await page.goto(`${gateway.url}/_gateway/dashboard`);
    await page.getByLabel("Operator token").fill(ADMIN_TOKEN);
    await page.getByRole("button", { name: "Sign in" }).click();
    const panel = page.getByRole("region", { name: "Usage export to OpenMeter" });
    await panel.waitFor();
    await panel.getByRole("cell", { name: identity.id }).waitFor();
    expect(await panel.getByRole("cell", { name: "HTTP 500" }).count()).toBe(1);
    expect(await panel.locator("dl").textContent()).toMatch(/Pending\s*1/);
    await shoot("billing-export");
    expect(consoleErrors).toEqual([]);
  }, 60_000);
});
