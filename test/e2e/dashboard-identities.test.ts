// The dashboard's Identities view in a real Chromium, against the built gateway on a socket: the list
// filtered by externalId, create with a plan, the detail (limits from the plan, its keys, usage), edit,
// and delete with a confirmation (refused with the reason while a live key belongs to it).
import chromium from "@sparticuz/chromium";
import { type Browser, type Page, chromium as playwright } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EchoUpstream, startEchoUpstream } from "../../dev/echo-upstream.ts";
import type { LocalGateway } from "../../dev/local-gateway.ts";
import { startGateway } from "./support/gateway.ts";
import { screenshots, WIDTHS } from "./support/screenshots.ts";

const ADMIN_TOKEN = "dashboard-identities-e2e-admin-token";

let upstream: EchoUpstream;
let gateway: LocalGateway;
let browser: Browser;
let page: Page;
const shoot = screenshots(() => page, "dashboard");
const consoleErrors: string[] = [];
const foreignRequests: string[] = [];
/** Admin answers the test provokes on purpose (the browser logs each as a console error). */
const refused: string[] = [];

beforeAll(async () => {
  upstream = await startEchoUpstream();
  [gateway, browser] = await Promise.all([
    startGateway({
      bindings: { ADMIN_TOKEN, GATEWAY_ROUTES: JSON.stringify([{ path: "/api/*", upstream: upstream.url, stripPrefix: true }]) },
    }),
    playwright.launch({ executablePath: await chromium.executablePath(), args: chromium.args, headless: true }),
  ]);
  page = await browser.newPage({ viewport: { width: WIDTHS[0], height: 900 }, locale: "en-US", timezoneId: "UTC" });
  page.on("console", (message) => {
    if (message.type() === "error") consoleErrors.push(message.text());
  });
  page.on("pageerror", (error) => consoleErrors.push(error.message));
  page.on("response", (response) => {
    if (response.status() === 409) refused.push(response.url());
  });
  page.on("request", (request) => {
    if (new URL(request.url()).origin !== gateway.url) foreignRequests.push(request.url());
  });
});

afterAll(async () => {
  await browser?.close();
  await gateway?.dispose();
  await upstream?.close();
});

async function admin<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const response = await fetch(`${gateway.url}/_gateway/admin${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body !== undefined && { "content-type": "application/json" }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json().catch(() => undefined)) as T };
}

const row = (text: string) => page.locator("tbody tr", { has: page.getByRole("cell", { name: text, exact: true }) });

describe("the dashboard's Identities view", () => {
  it("lists, filters, creates, shows, edits and deletes identities, confirming the delete and showing why one with keys stays", async () => {
    const plan = await admin<{ id: string }>("POST", "/plans", {
      name: "Pro",
      rateLimits: [{ name: "minute", limit: 600, window: 60 }],
      quota: { limit: 50000, period: "month" },
    });
    await admin("POST", "/identities", { externalId: "globex", name: "Globex" });

    await page.goto(`${gateway.url}/_gateway/dashboard`);
    await page.getByLabel("Operator token").fill(ADMIN_TOKEN);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("link", { name: "Identities" }).click();
    await page.getByRole("heading", { name: "Identities", exact: true }).waitFor();
    await row("globex").waitFor();

    // Create, on the plan.
    const creator = page.getByRole("form", { name: "New identity" });
    await creator.getByLabel(/^External id/).fill("acme");
    await creator.getByLabel(/^Display name/).fill("Acme Corp");
    await creator.getByLabel("Plan").selectOption({ label: "Pro" });
    await creator.getByRole("button", { name: "Create identity" }).click();
    await page.getByRole("status").filter({ hasText: "Created the identity “Acme Corp”." }).waitFor();
    expect(await row("acme").getByRole("cell").allTextContents()).toEqual([
      "acme",
      "Acme Corp",
      "Pro",
      "yes",
      expect.any(String),
      expect.stringMatching(/^idt_/),
    ]);
    await shoot("identities-list", { docs: true });

    // The filter asks the server for one externalId.
    await page.getByRole("search").getByLabel("External id").fill("globex");
    await page.getByRole("button", { name: "Filter" }).click();
    await expect.poll(() => page.locator("tbody tr").count()).toBe(1);
    await row("globex").waitFor();
    await page.getByRole("search").getByLabel("External id").fill("nobody");
    await page.getByRole("button", { name: "Filter" }).click();
    await page.getByText("No identity has the external id “nobody”.").waitFor();
    await page.getByRole("search").getByLabel("External id").fill("");
    await page.getByRole("button", { name: "Filter" }).click();

    // A key of the identity, with traffic.
    const identity = (await admin<{ items: { id: string }[] }>("GET", "/identities?externalId=acme")).body.items[0]!;
    const key = await admin<{ id: string; key: string }>("POST", "/keys", { name: "acme-backend", identityId: identity.id });
    expect(key.status).toBe(201);
    for (let i = 0; i < 3; i++)
      expect((await fetch(`${gateway.url}/api/hello`, { headers: { "x-api-key": key.body.key } })).status).toBe(200);

    // Detail: the plan's limits apply, its keys, its usage.
    await row("acme").getByRole("link", { name: "acme" }).click();
    await page.getByRole("heading", { name: /Acme Corp/, level: 1 }).waitFor();
    const limits = page.getByRole("region", { name: "Limits and quota" });
    await expect.poll(() => limits.textContent()).toContain("600 per 60 s (minute), from the plan Pro");
    expect(await limits.textContent()).toContain("50000 per month, from the plan Pro");
    await page.getByRole("region", { name: "Keys" }).getByRole("link", { name: "acme-backend" }).waitFor();
    await expect.poll(() => page.getByRole("region", { name: /Usage/ }).textContent()).toMatch(/3 allowed/);
    await shoot("identity-detail", { docs: true });

    // Edit: its own quota replaces the plan's; disabled.
    await page.getByRole("button", { name: "Edit identity" }).click();
    const editor = page.getByRole("form", { name: "Edit identity Acme Corp" });
    await editor.getByLabel("Quota requests").fill("1000");
    await editor.getByLabel("Per").selectOption("day");
    await editor.getByLabel(/^Enabled/).uncheck();
    await shoot("identity-edit");
    await editor.getByRole("button", { name: "Save identity" }).click();
    await page.getByRole("status").filter({ hasText: "Saved the identity “Acme Corp”." }).waitFor();
    await expect.poll(() => limits.textContent(), { timeout: 5_000 }).toContain("1000 per day, its own");
    const saved = await admin<{ enabled: boolean; quota: unknown; planId: string }>("GET", `/identities/${identity.id}`);
    expect(saved.body).toMatchObject({ enabled: false, quota: { limit: 1000, period: "day" }, planId: plan.body.id });
    expect((await fetch(`${gateway.url}/api/hello`, { headers: { "x-api-key": key.body.key } })).status).toBe(401);

    // Delete with a live key: confirmed, refused, the reason shown; after the key is revoked: deleted.
    const confirmations: string[] = [];
    page.on("dialog", (dialog) => {
      confirmations.push(dialog.message());
      void dialog.accept();
    });
    await page.getByRole("button", { name: "Delete identity" }).click();
    await expect.poll(() => page.getByRole("alert").textContent()).toContain("still has keys that are not revoked");
    expect(confirmations).toEqual([expect.stringContaining("Delete the identity “Acme Corp”?")]);
    await shoot("identity-delete-refused");
    expect((await admin("DELETE", `/keys/${key.body.id}`)).status).toBeLessThan(300);
    await page.getByRole("button", { name: "Delete identity" }).click();
    await page.getByRole("heading", { name: "Identities", exact: true }).waitFor();
    await row("globex").waitFor();
    expect(await row("acme").count()).toBe(0);
    expect((await admin("GET", `/identities/${identity.id}`)).status).toBe(404);

    // The audit log names the key (by its name now) and filters by action; the key list copies ids.
    await page.getByRole("link", { name: "Audit log" }).click();
    await page.getByLabel("Action").selectOption("key.create");
    await page.getByRole("button", { name: "Filter" }).click();
    await expect.poll(() => page.locator('td[data-label="Action"]').allTextContents()).toEqual(["key.create"]);
    expect(await page.locator('td[data-label="Key"]').textContent()).toBe("acme-backend");
    expect(await page.locator('td[data-label="Operator"]').textContent()).toBe("admin");
    await shoot("audit-by-action");
    await page.getByRole("link", { name: "Keys", exact: true }).click();
    await page.getByRole("button", { name: "Copy the id of acme-backend" }).click();
    await expect
      .poll(() => page.getByRole("button", { name: "Copy the id of acme-backend" }).textContent())
      .toMatch(/^(Copied|Copy blocked)$/);

    expect(consoleErrors.filter((e) => !e.includes("409"))).toEqual([]);
    expect(refused).toHaveLength(1);
    expect(foreignRequests).toEqual([]);
  });
});
