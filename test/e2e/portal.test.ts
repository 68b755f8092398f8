// The customers' portal in a real Chromium, against the built gateway, a real upstream and the real
// local OpenID provider: the demo customer signs in and manages their keys through the page, in a
// browser started under LANG=C (locale en-US@posix, which Intl refuses), where the dashboard must
// render too; the other demo customer, in a browser of their own, sees none of it.
import { createServer } from "node:net";
import chromium from "@sparticuz/chromium";
import { type Browser, type Page, chromium as playwright } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EchoUpstream, startEchoUpstream } from "../../dev/echo-upstream.ts";
import type { LocalGateway } from "../../dev/local-gateway.ts";
import { DEMO_CUSTOMERS, type LocalOidcProvider, startOidcProvider } from "../../dev/oidc-provider.ts";
import { startGateway } from "./support/gateway.ts";
import { screenshots, WIDTHS } from "./support/screenshots.ts";

const ADMIN_TOKEN = "portal-e2e-admin-token";
const CLIENT = { clientId: "portal-e2e", clientSecret: "portal-e2e-secret-0123456789" };
const [demo, other] = DEMO_CUSTOMERS as [(typeof DEMO_CUSTOMERS)[0], (typeof DEMO_CUSTOMERS)[0]];

let upstream: EchoUpstream;
let provider: LocalOidcProvider;
let gateway: LocalGateway;
/** The demo customer's browser, under the POSIX locale; the other customer's, under en-US. */
let posixBrowser: Browser;
let otherBrowser: Browser;
let page: Page;
const shoot = screenshots(() => page, "portal");
const consoleErrors: string[] = [];
const foreignRequests: string[] = [];

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function watch(target: Page, origin: () => string): void {
  target.on("console", (message) => {
    if (message.type() === "error") consoleErrors.push(message.text());
  });
  target.on("pageerror", (error) => consoleErrors.push(error.message));
  target.on("request", (request) => {
    const url = new URL(request.url());
    // The sign-in goes to the provider and back: that is its one other origin.
    if (url.origin !== origin() && url.origin !== provider.issuer && url.protocol !== "data:") foreignRequests.push(request.url());
  });
}

beforeAll(async () => {
  const port = await freePort();
  upstream = await startEchoUpstream();
  provider = await startOidcProvider({ clients: [{ ...CLIENT, redirectUris: [`http://127.0.0.1:${port}/_gateway/portal/callback`] }] });
  const executablePath = await chromium.executablePath();
  [gateway, posixBrowser, otherBrowser] = await Promise.all([
    startGateway({
      port,
      bindings: {
        ADMIN_TOKEN,
        GATEWAY_ROUTES: JSON.stringify([{ path: "/api/*", upstream: upstream.url, stripPrefix: true }]),
        OIDC_ISSUER: provider.issuer,
        OIDC_CLIENT_ID: CLIENT.clientId,
        OIDC_CLIENT_SECRET: CLIENT.clientSecret,
        PORTAL_DEFAULT_PLAN: "starter",
      },
    }),
    playwright.launch({
      executablePath,
      args: chromium.args,
      headless: true,
      env: { ...process.env, LANG: "C", LC_ALL: "C", LANGUAGE: "" },
    }),
    playwright.launch({ executablePath, args: chromium.args, headless: true }),
  ]);
  // The plan a first sign-in joins, written as the plans admin API would.
  const now = Date.now();
  await (await gateway.miniflare.getD1Database("DB"))
    .prepare(
      "INSERT INTO plans (id, name, rate_limits, quota, allowed_scopes, max_keys, created_at, updated_at) VALUES ('pln_starter', 'starter', ?, ?, ?, 3, ?, ?)",
    )
    .bind(
      JSON.stringify([{ name: "minute", limit: 60, window: 60 }]),
      JSON.stringify({ limit: 10000, period: "month" }),
      JSON.stringify(["read", "write"]),
      now,
      now,
    )
    .run();
  // No locale option: the browser's own (en-US@posix) is what the page gets.
  page = await posixBrowser.newPage({ viewport: { width: WIDTHS[0], height: 900 }, timezoneId: "UTC" });
  page.setDefaultTimeout(10_000);
  watch(page, () => gateway.url);
});

afterAll(async () => {
  await posixBrowser?.close();
  await otherBrowser?.close();
  await gateway?.dispose();
  await provider?.close();
  await upstream?.close();
});

async function signIn(target: Page, customer: { email: string; password: string }): Promise<void> {
  await target.goto(`${gateway.url}/_gateway/portal`);
  await target.getByRole("link", { name: "Sign in" }).click();
  await target.getByLabel("Email").fill(customer.email);
  await target.getByLabel("Password").fill(customer.password);
  await target.getByRole("button", { name: "Sign in" }).click();
  await target.getByRole("heading", { name: "Your keys" }).waitFor();
}

const proxied = (key: string) => fetch(`${gateway.url}/api/hello`, { headers: { authorization: `Bearer ${key}` } }).then((r) => r.status);
const keyRow = (name: string) => page.locator("tbody tr", { has: page.getByRole("rowheader", { name, exact: true }) });

describe("customers' portal in a browser", () => {
  let keyId = "";
  let createdKey = "";

  it("renders the dashboard under the POSIX locale Intl refuses", async () => {
    await page.goto(`${gateway.url}/_gateway/dashboard`);
    expect(await page.evaluate(() => navigator.language)).toBe("en-US");
    await page.getByLabel("Operator token").waitFor();
  });

  it("offers sign-in when signed out, and signs the demo customer in at the provider", async () => {
    await page.goto(`${gateway.url}/_gateway/portal`);
    await page.getByRole("link", { name: "Sign in" }).waitFor();
    await shoot("signed-out");
    await signIn(page, demo);
    await page.getByText(demo.email).waitFor();
    await page.getByRole("heading", { name: "Plan: starter" }).waitFor();
    await page.getByText("No keys yet").waitFor();
  });

  it("creates a key, shows its secret once, and the key works on the proxy at once", async () => {
    await page.getByRole("button", { name: "Create key" }).click();
    const form = page.getByRole("dialog", { name: "Create a key" });
    await form.getByLabel("Name").fill("production server");
    await form.getByLabel("read").check();
    await shoot("create", { docs: true, fullPage: false });
    await form.getByRole("button", { name: "Create key" }).click();

    const reveal = page.getByRole("dialog", { name: "Your new key production server" });
    await reveal.waitFor();
    expect(await reveal.textContent()).toContain("it will not be shown again");
    const key = await reveal.getByLabel("Secret").inputValue();
    expect(key).toMatch(/^gk_live_[A-Za-z0-9]{38}$/);
    await reveal.getByRole("button", { name: "Copy" }).click();
    await reveal
      .getByRole("status")
      .filter({ hasText: /Copied|selected/ })
      .waitFor();
    await shoot("secret-once", { docs: true, fullPage: false });
    await reveal.getByRole("button", { name: "I have stored it" }).click();
    await page.getByRole("status").filter({ hasText: "production server was created." }).waitFor();

    expect(await Promise.all([proxied(key), proxied(key), proxied(key)])).toEqual([200, 200, 200]);
    const keys = (await page.evaluate(() => fetch("/_gateway/portal/api/keys").then((r) => r.json()))) as { items: { id: string }[] };
    keyId = keys.items[0]!.id;

    await page.reload();
    await expect.poll(() => keyRow("production server").locator(".status").textContent()).toBe("active");
    await expect.poll(() => page.locator("figcaption").first().textContent()).toContain("3 allowed");
    await page.getByLabel("Key", { exact: true }).selectOption(keyId);
    await expect.poll(() => page.locator("figcaption").first().textContent()).toContain("3 allowed");
    await page.getByLabel("Key", { exact: true }).selectOption("");
    await shoot("keys", { docs: true });

    createdKey = key;
  });

  it("rolls the key with the old secret ending now, then revokes it after confirming", async () => {
    const key = createdKey;
    await keyRow("production server").getByRole("button", { name: "Roll production server" }).click();
    const roll = page.getByRole("dialog", { name: "Roll production server" });
    for (const label of ["Now", "In 1 hour", "In 24 hours", "In 7 days"]) await roll.getByLabel(label).waitFor();
    expect(await roll.getByLabel("In 1 hour").isChecked()).toBe(true);
    await roll.getByLabel("Now").check();
    await shoot("roll", { docs: true, fullPage: false });
    await roll.getByRole("button", { name: "Roll key" }).click();
    const reveal = page.getByRole("dialog", { name: "New secret for production server" });
    const rolled = await reveal.getByLabel("Secret").inputValue();
    expect(rolled).not.toBe(key);
    await reveal.getByRole("button", { name: "I have stored it" }).click();
    expect(await proxied(key)).toBe(401);
    expect(await proxied(rolled)).toBe(200);

    await keyRow("production server").getByRole("button", { name: "Revoke production server" }).click();
    const confirm = page.getByRole("alertdialog", { name: "Revoke production server?" });
    expect(await confirm.getByRole("button", { name: "Cancel" }).evaluate((button) => button === document.activeElement)).toBe(true);
    await shoot("revoke", { fullPage: false });
    await confirm.getByRole("button", { name: "Revoke key" }).click();
    await expect.poll(() => keyRow("production server").locator(".status").textContent()).toBe("revoked");
    expect(await proxied(rolled)).toBe(401);
  });

  it("shows the other customer none of it, and their portal answers the demo customer's key id as unknown", async () => {
    const otherPage = await otherBrowser.newPage({ viewport: { width: 1440, height: 900 }, locale: "en-US", timezoneId: "UTC" });
    watch(otherPage, () => gateway.url);
    await signIn(otherPage, other);
    await otherPage.getByText("No keys yet").waitFor();
    const status = await otherPage.evaluate((id) => fetch(`/_gateway/portal/api/keys/${id}`).then((r) => r.status), keyId);
    expect(status).toBe(404);
    const roll = await otherPage.evaluate(
      (id) =>
        fetch(`/_gateway/portal/api/keys/${id}/roll`, {
          method: "POST",
          referrerPolicy: "same-origin",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ expiresInSeconds: 0 }),
        }).then((r) => r.status),
      keyId,
    );
    expect(roll).toBe(404);
    await otherPage.close();
  });

  it("signs out: the page offers sign-in again and the API refuses the old session", async () => {
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByText("Signed out.").waitFor();
    await page.getByRole("link", { name: "Sign in" }).waitFor();
    expect(await page.evaluate(() => fetch("/_gateway/portal/api/me").then((r) => r.status))).toBe(401);
  });

  it("sent nothing to another origin and logged no errors but the refused calls it made on purpose", () => {
    expect(foreignRequests).toEqual([]);
    const expected = (text: string) => text.includes("status of 401") || text.includes("status of 404");
    expect(consoleErrors.filter((text) => !expected(text))).toEqual([]);
  });
});
