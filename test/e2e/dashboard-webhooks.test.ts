// The dashboard's Webhooks view in a real Chromium, against the built gateway on a socket and a real
// receiver on loopback: create (the secret shown once), a test send, deliveries with their attempts
// and last answer, resend, edit, and delete with a confirmation.
import chromium from "@sparticuz/chromium";
import { type Browser, type Page, chromium as playwright } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EchoUpstream, startEchoUpstream } from "../../dev/echo-upstream.ts";
import type { LocalGateway } from "../../dev/local-gateway.ts";
import { startGateway } from "./support/gateway.ts";
import { screenshots, WIDTHS } from "./support/screenshots.ts";
import { startWebhookReceiver, type WebhookReceiver } from "./support/webhook-receiver.ts";

const ADMIN_TOKEN = "dashboard-webhooks-e2e-admin-token";

let upstream: EchoUpstream;
let receiver: WebhookReceiver;
let gateway: LocalGateway;
let browser: Browser;
let page: Page;
const shoot = screenshots(() => page, "dashboard");
const consoleErrors: string[] = [];
const foreignRequests: string[] = [];

beforeAll(async () => {
  [upstream, receiver] = await Promise.all([startEchoUpstream(), startWebhookReceiver()]);
  [gateway, browser] = await Promise.all([
    startGateway({
      bindings: {
        ADMIN_TOKEN,
        WEBHOOK_RETRY_BASE_MS: "100",
        GATEWAY_ROUTES: JSON.stringify([{ path: "/api/*", upstream: upstream.url, stripPrefix: true }]),
      },
    }),
    playwright.launch({ executablePath: await chromium.executablePath(), args: chromium.args, headless: true }),
  ]);
  page = await browser.newPage({ viewport: { width: WIDTHS[0], height: 900 }, locale: "en-US", timezoneId: "UTC" });
  page.on("console", (message) => {
    if (message.type() === "error") consoleErrors.push(message.text());
  });
  page.on("pageerror", (error) => consoleErrors.push(error.message));
  page.on("request", (request) => {
    if (new URL(request.url()).origin !== gateway.url) foreignRequests.push(request.url());
  });
});

afterAll(async () => {
  await browser?.close();
  await gateway?.dispose();
  await upstream?.close();
  await receiver?.close();
});

function admin(method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${gateway.url}/_gateway/admin${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body !== undefined && { "content-type": "application/json" }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
}

const cell = (row: ReturnType<Page["locator"]>, label: string) => row.locator(`td[data-label="${label}"]`);

describe("the dashboard's Webhooks view", () => {
  it("creates a webhook showing its secret once, sends a test, shows deliveries and resends one, edits and deletes it", async () => {
    await page.goto(`${gateway.url}/_gateway/dashboard`);
    await page.getByLabel("Operator token").fill(ADMIN_TOKEN);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("link", { name: "Webhooks" }).click();
    await page.getByRole("heading", { name: "Webhooks", exact: true }).waitFor();
    await page.getByText("No webhooks yet.").waitFor();

    // Create: the secret once, in the dialog with its copy button.
    const creator = page.getByRole("form", { name: "New webhook" });
    await creator.getByLabel(/^URL/).fill(receiver.url);
    await creator.getByLabel("key.revoked").check();
    await creator.getByRole("button", { name: "Create webhook" }).click();
    const dialog = page.getByRole("dialog", { name: "The webhook's signing secret" });
    await dialog.waitFor();
    const secret = await dialog.getByLabel("Secret").inputValue();
    expect(secret).toMatch(/^whsec_/);
    receiver.useSecret(secret);
    await dialog.getByRole("button", { name: "Copy" }).click();
    await expect.poll(() => dialog.getByRole("status").textContent()).toMatch(/Copied|selected/);
    await shoot("webhook-secret-once", { docs: [390], fullPage: false });
    await dialog.getByRole("button", { name: "I have stored it" }).click();
    const row = page.locator("tbody tr", { has: page.getByRole("link", { name: receiver.url }) });
    await row.waitFor();
    expect(await cell(row, "Events").textContent()).toBe("key.revoked");
    const [hook] = ((await (await admin("GET", "/webhooks")).json()) as { items: { id: string }[] }).items;
    expect(JSON.stringify(hook)).not.toContain(secret);
    await shoot("webhooks-list", { docs: [390] });

    // A test send: the first attempt fails, the retry is taken; the log shows both and the last answer.
    await row.getByRole("link", { name: receiver.url }).click();
    await page.getByRole("heading", { name: /^Webhook/, level: 1 }).waitFor();
    await page.getByText("Nothing sent yet.").waitFor();
    receiver.failNext(1);
    const before = receiver.attempts.length;
    await page.getByRole("button", { name: "Send test" }).click();
    await page
      .getByRole("status")
      .filter({ hasText: /Queued a test message \(msg_/ })
      .waitFor();
    const delivered = () => receiver.attempts.slice(before).filter((a) => a.status === 200);
    await expect.poll(delivered, { timeout: 10_000 }).toHaveLength(1);
    expect(delivered()[0]).toMatchObject({ signatureValid: true, body: { type: "webhook.test", data: { webhookId: hook!.id } } });
    const deliveries = page.getByRole("region", { name: /Deliveries/ });
    const delivery = deliveries.locator("tbody tr").first();
    await expect
      .poll(async () => {
        await deliveries.getByRole("button", { name: "Refresh" }).click();
        return delivery.locator("td").allTextContents();
      })
      .toEqual(["webhook.test", "delivered", "2", "200", expect.any(String), delivered()[0]!.id, "Resend"]);
    await shoot("webhook-detail", { docs: [1440] });

    // Resend: the same message id, a third attempt.
    await delivery.getByRole("button", { name: `Resend ${delivered()[0]!.id}` }).click();
    await deliveries.getByRole("status").filter({ hasText: "Queued" }).waitFor();
    await expect.poll(() => receiver.attempts.filter((a) => a.id === delivered()[0]!.id).length).toBe(3);

    // Edit the events.
    await page.getByRole("button", { name: "Edit webhook" }).click();
    const editor = page.getByRole("form", { name: "Edit webhook" });
    await editor.getByLabel("key.revoked").uncheck();
    await editor.getByLabel("key.rotated").check();
    await editor.getByRole("button", { name: "Save webhook" }).click();
    await page.getByRole("status").filter({ hasText: "Saved the webhook." }).waitFor();
    expect(await (await admin("GET", `/webhooks/${hook!.id}`)).json()).toMatchObject({ events: ["key.rotated"] });

    // Delete after the confirmation.
    const confirmations: string[] = [];
    page.on("dialog", (prompt) => {
      confirmations.push(prompt.message());
      void prompt.accept();
    });
    await page.getByRole("button", { name: "Delete webhook" }).click();
    await page.getByText("No webhooks yet.").waitFor();
    expect(confirmations).toEqual([expect.stringContaining(`Delete the webhook to ${receiver.url}?`)]);
    expect((await admin("GET", `/webhooks/${hook!.id}`)).status).toBe(404);

    expect(consoleErrors).toEqual([]);
    expect(foreignRequests).toEqual([]);
  });
});
