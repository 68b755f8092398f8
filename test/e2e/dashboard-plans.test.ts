// The dashboard's Plans view in a real Chromium, against the built gateway on a socket: list,
// create, edit, and delete with a confirmation (refused while an identity is on the plan).
import chromium from "@sparticuz/chromium";
import { type Browser, type Page, chromium as playwright } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EchoUpstream, startEchoUpstream } from "../../dev/echo-upstream.ts";
import type { LocalGateway } from "../../dev/local-gateway.ts";
import { startGateway } from "./support/gateway.ts";
import { screenshots, WIDTHS } from "./support/screenshots.ts";

const ADMIN_TOKEN = "dashboard-plans-e2e-admin-token";

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

function admin(method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${gateway.url}/_gateway/admin${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body !== undefined && { "content-type": "application/json" }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
}

const planRow = (name: string) => page.locator("tbody tr", { has: page.getByRole("cell", { name, exact: true }) });

describe("the dashboard's Plans view", () => {
  it("lists, creates, edits and deletes plans, confirming the delete and showing why one in use stays", async () => {
    await page.goto(`${gateway.url}/_gateway/dashboard`);
    await page.getByLabel("Operator token").fill(ADMIN_TOKEN);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("link", { name: "Plans" }).click();
    await page.getByRole("heading", { name: "Plans", exact: true }).waitFor();
    await page.getByText("No plans yet.").waitFor();

    // Create.
    await page.getByLabel(/^Name/).fill("Starter");
    await page.getByRole("button", { name: "Add rate limit" }).click();
    await page.getByLabel("Limit name").fill("minute");
    await page.getByLabel("Requests", { exact: true }).fill("100");
    await page.getByLabel("Quota requests").fill("10000");
    await page.getByLabel("Allowed scopes").fill("read, write");
    await page.getByLabel("Max live keys").fill("3");
    await shoot("plans-create");
    await page.getByRole("button", { name: "Create plan" }).click();
    await page.getByRole("status").filter({ hasText: "Created the plan “Starter”." }).waitFor();
    const row = planRow("Starter");
    await row.waitFor();
    expect(await row.getByRole("cell").allTextContents()).toEqual([
      "Starter",
      expect.stringMatching(/^pln_/),
      "100 per 60 s (minute)",
      "10000 per month",
      "read, write",
      "3",
      "EditDelete",
    ]);
    const [plan] = ((await (await admin("GET", "/plans")).json()) as { items: { id: string; maxKeys: number }[] }).items;
    expect(plan).toMatchObject({ maxKeys: 3 });

    // Edit: only what changed is sent.
    await row.getByRole("button", { name: "Edit Starter" }).click();
    const editor = page.getByRole("form", { name: "Edit plan Starter" });
    await editor.getByLabel(/^Name/).fill("Starter 2026");
    await editor.getByLabel("Max live keys").fill("");
    await shoot("plans-edit");
    await editor.getByRole("button", { name: "Save plan" }).click();
    await page.getByRole("status").filter({ hasText: "Saved the plan “Starter 2026”." }).waitFor();
    expect(await planRow("Starter 2026").getByRole("cell").nth(5).textContent()).toBe("no limit");
    await shoot("plans-list");

    // Delete while an identity is on it: confirmed, refused, the reason shown; then deleted.
    const identity = (await (await admin("POST", "/identities", { externalId: "acme", planId: plan!.id })).json()) as { id: string };
    const confirmations: string[] = [];
    page.on("dialog", (dialog) => {
      confirmations.push(dialog.message());
      void dialog.accept();
    });
    await planRow("Starter 2026").getByRole("button", { name: "Delete Starter 2026" }).click();
    await expect.poll(() => page.getByRole("alert").textContent()).toContain("used by 1 identity");
    expect(confirmations).toEqual([expect.stringContaining("Delete the plan “Starter 2026”?")]);
    await shoot("plans-delete-refused");

    expect((await admin("PATCH", `/identities/${identity.id}`, { planId: null })).status).toBe(200);
    await planRow("Starter 2026").getByRole("button", { name: "Delete Starter 2026" }).click();
    await page.getByRole("status").filter({ hasText: "Deleted the plan “Starter 2026”." }).waitFor();
    await page.getByText("No plans yet.").waitFor();
    expect(confirmations).toHaveLength(2);

    expect(consoleErrors.filter((e) => !e.includes("409"))).toEqual([]);
    expect(refused).toHaveLength(1);
    expect(foreignRequests).toEqual([]);
  });
});
