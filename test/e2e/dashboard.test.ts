// The operators' dashboard in a real Chromium, against the built gateway on a socket in front of
// the echo upstream: every step goes through the page as an operator would click it.
import chromium from "@sparticuz/chromium";
import { type Browser, type Page, chromium as playwright } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EchoUpstream, startEchoUpstream } from "../../dev/echo-upstream.ts";
import type { LocalGateway } from "../../dev/local-gateway.ts";
import { startGateway } from "./support/gateway.ts";
import { screenshots, WIDTHS } from "./support/screenshots.ts";

const ADMIN_TOKEN = "dashboard-e2e-admin-token";
/** Screenshots of every view at both widths, to look at: git-ignored. */

let upstream: EchoUpstream;
let gateway: LocalGateway;
let browser: Browser;
let page: Page;
const shoot = screenshots(() => page, "dashboard");
const consoleErrors: string[] = [];
/** Admin calls the API refused with 401: the browser logs each as an error; the test makes them on purpose. */
const refusedCalls: string[] = [];
const foreignRequests: string[] = [];

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
    if (response.status() === 401) refusedCalls.push(response.url());
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

async function signIn(token: string): Promise<void> {
  await page.getByLabel("Operator token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
}

const keysRow = (name: string) => page.locator("tbody tr", { has: page.getByRole("link", { name, exact: true }) });

describe("operators' dashboard in a browser", () => {
  it("refuses a wrong token and keeps the operator signed out", async () => {
    await page.goto(`${gateway.url}/_gateway/dashboard`);
    await shoot("sign-in");
    await signIn("not-the-token");
    await expect.poll(() => page.getByRole("alert").textContent()).toBe("That token was refused.");
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
  });

  it("creates a key, shows its usage, rotates, disables and revokes it", async () => {
    await signIn(ADMIN_TOKEN);
    await page.getByRole("heading", { name: "Requests by outcome, all keys" }).waitFor();
    expect(await page.evaluate(() => document.cookie)).toBe("");
    await shoot("overview");

    await page.getByRole("link", { name: "Create key" }).first().click();
    await page.getByLabel("Name").fill("browser key");
    await page.getByLabel("Owner").fill("qa-team");
    await page.getByLabel("Scopes").fill("read write");
    await page.getByRole("button", { name: "Add rate limit" }).click();
    await page.getByLabel("Name").nth(1).fill("minute");
    await page.getByLabel("Requests").first().fill("100");
    await page.getByLabel("Requests").nth(1).fill("1000");
    await page.getByLabel("Metadata").fill('{"plan":"pro"}');
    await shoot("create-key");
    await page.getByRole("button", { name: "Create key" }).click();

    const dialog = page.getByRole("dialog");
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain("will not be shown again");
    const key = await dialog.getByLabel("Secret").inputValue();
    expect(key).toMatch(/^gk_live_[A-Za-z0-9]{38}$/);
    await shoot("reveal-once");
    await dialog.getByRole("button", { name: "I have stored it" }).click();
    await page.getByRole("heading", { name: /browser key/ }).waitFor();
    const keyId = decodeURIComponent(new URL(page.url()).hash.replace("#/keys/", ""));
    expect(keyId).toMatch(/^key_/);

    const statuses = await Promise.all(
      Array.from({ length: 6 }, () => fetch(`${gateway.url}/api/hello`, { headers: { "x-api-key": key } }).then((r) => r.status)),
    );
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200]);

    await page.reload();
    await expect.poll(() => page.locator("figcaption").first().textContent()).toContain("6 allowed");
    await page.getByText("Quota: 6 of 1000 used").waitFor();
    await page.getByText("94 left").waitFor(); // the "minute" limit's remaining, from the key's object
    await shoot("key-detail");

    await page.getByLabel("Old secret keeps working for").fill("0");
    await page.getByRole("button", { name: "Rotate secret" }).click();
    const rotated = await page.getByRole("dialog").getByLabel("Secret").inputValue();
    expect(rotated).not.toBe(key);
    await page.getByRole("dialog").getByRole("button", { name: "I have stored it" }).click();
    expect((await fetch(`${gateway.url}/api/hello`, { headers: { "x-api-key": key } })).status).toBe(401);
    expect((await fetch(`${gateway.url}/api/hello`, { headers: { "x-api-key": rotated } })).status).toBe(200);

    await page.getByRole("button", { name: "Disable key" }).click();
    await page.getByRole("button", { name: "Enable key" }).waitFor();
    expect((await fetch(`${gateway.url}/api/hello`, { headers: { "x-api-key": rotated } })).status).toBe(401);

    // The all-keys usage reads the hourly counts the key's object copies to D1 by an alarm a minute
    // later; written here as that alarm would (7 admitted requests this hour), not waited for.
    const hour = Date.now() - (Date.now() % 3_600_000);
    await (await gateway.miniflare.getD1Database("DB"))
      .prepare(
        "INSERT INTO usage_rollups (key_id, route, hour, allowed, rate_limited, quota_exceeded) VALUES (?, '/api/*', ?, 7, 0, 0) ON CONFLICT DO UPDATE SET allowed = 7",
      )
      .bind(keyId, hour)
      .run();

    await page.getByRole("link", { name: "Keys", exact: true }).click();
    await page.getByLabel("Search name, owner, id or start").fill("no-such-key-anywhere");
    await page.getByText("No keys match these filters.").waitFor();
    await page.getByLabel("Search name, owner, id or start").fill("qa-team");
    await expect.poll(() => keysRow("browser key").locator(".status").textContent()).toBe("disabled");
    await keysRow("browser key").getByRole("img", { name: "7 requests in the last 24 hours" }).waitFor();
    await shoot("keys");

    await page.getByRole("link", { name: "Overview" }).click();
    await expect.poll(() => page.locator("figcaption").first().textContent()).toContain("7 allowed");
    expect(await page.locator("section", { hasText: "Top keys" }).locator("tbody tr").first().textContent()).toBe("browser key7");
    const routeRow = page.locator("section", { hasText: "Requests by route" }).locator("tbody tr").first();
    // The rotated-away and the disabled key's 401s count by route, for no key.
    expect(await routeRow.locator("td").allTextContents()).toEqual(["/api/*", "7", "0", "0", "2"]);
    await shoot("overview-with-traffic");

    // A custom span (UTC): by hour when it is two days or less; a start after the end is refused.
    const minute = (ms: number) => new Date(ms).toISOString().slice(0, 16);
    await page.getByLabel("Span").selectOption("custom");
    await page.getByText("Per day; longer than two days is shown by day.").waitFor();
    await page.getByLabel("From (UTC)").fill(minute(hour - 3_600_000));
    await page.getByLabel("To (UTC)").fill(minute(Date.now() + 3_600_000));
    await page.getByText("Per hour; longer than two days is shown by day.").waitFor();
    await expect.poll(() => page.locator("figcaption").first().textContent()).toContain("7 allowed");
    await shoot("overview-custom-span");
    await page.getByLabel("From (UTC)").fill(minute(Date.now() + 7_200_000));
    await page.getByRole("alert").filter({ hasText: "Choose a start before the end." }).waitFor();
    await page.getByRole("link", { name: "Keys", exact: true }).click();

    await keysRow("browser key").getByRole("link").click();
    await page.getByRole("button", { name: "Enable key" }).waitFor();
    const revoke = page.getByRole("button", { name: "Revoke key" });
    expect(await revoke.isDisabled()).toBe(true);
    await page.getByLabel("Type the key's name").fill("browser key");
    await revoke.click();
    await page.getByText(/This key was revoked/).waitFor();
    expect((await fetch(`${gateway.url}/api/hello`, { headers: { "x-api-key": rotated } })).status).toBe(401);

    await page.getByRole("link", { name: "Audit log" }).click();
    await page.getByRole("heading", { name: "Audit log" }).waitFor();
    await expect
      .poll(async () => (await page.locator('td[data-label="Action"]').allTextContents()).slice(0, 4))
      .toEqual(["key.revoke", "key.update", "key.rotate", "key.create"]);
    await shoot("audit");
    await page.getByLabel("Operator", { exact: true }).fill("admin");
    await page.getByRole("button", { name: "Filter" }).click();
    await expect.poll(() => page.locator('td[data-label="Operator"]').allTextContents()).toEqual(["admin", "admin", "admin", "admin"]);

    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByLabel("Operator token").waitFor();
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
  });

  it("issues an operator token that signs in with its own scopes and shows in the audit log as the actor", async () => {
    await signIn(ADMIN_TOKEN);
    await page.getByRole("link", { name: "Operators" }).click();
    await page.getByLabel("Name").fill("support desk");
    await shoot("operators");
    await page.getByRole("button", { name: "Create operator token" }).click();
    const token = await page.getByRole("dialog").getByLabel("Secret").inputValue();
    await page.getByRole("dialog").getByRole("button", { name: "I have stored it" }).click();
    const row = page.locator("tbody tr", { hasText: "support desk" });
    await row.waitFor();
    const operatorId = (await row.locator('td[data-label="Id"]').textContent())!;

    // Where the next sign-in lands: a view this token may read.
    await page.getByRole("link", { name: "Keys", exact: true }).click();
    await page.getByRole("button", { name: "Sign out" }).click();
    await signIn(token);
    await page.getByRole("link", { name: "Keys", exact: true }).click();
    await page.getByRole("heading", { name: "Keys" }).waitFor();
    await page.getByRole("link", { name: "Audit log" }).click();
    await page.getByLabel("Operator", { exact: true }).fill(operatorId);
    await page.getByRole("button", { name: "Filter" }).click();
    await page.getByText("No entries.").waitFor();
    await page.getByRole("button", { name: "Sign out" }).click();

    await signIn(ADMIN_TOKEN);
    await page.getByRole("link", { name: "Audit log" }).click();
    await page.getByLabel("Operator", { exact: true }).fill("admin");
    await page.getByRole("button", { name: "Filter" }).click();
    await expect.poll(() => page.locator('td[data-label="Action"]').first().textContent()).toBe("operator.create");
    await page.getByRole("button", { name: "Sign out" }).click();
  });

  it("shows a member key's identity limits, asks before Escape drops a secret, and finishes a revoked key's limits", async () => {
    const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
      const response = await fetch(`${gateway.url}/_gateway/admin${path}`, {
        method,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
      return (response.status === 204 ? undefined : await response.json()) as T;
    };
    const identity = await api<{ id: string }>("POST", "/identities", {
      externalId: "customer_e2e",
      name: "Acme Corp",
      rateLimits: [{ name: "shared", limit: 50, window: 60 }],
      quota: { limit: 100_000, period: "month" },
    });
    const member = await api<{ id: string; key: string }>("POST", "/keys", {
      name: "member key",
      identityId: identity.id,
      rateLimits: [{ name: "own", limit: 10, window: 60 }],
      quota: { limit: 5000, period: "month" },
    });
    expect((await fetch(`${gateway.url}/api/hello`, { headers: { "x-api-key": member.key } })).status).toBe(200);

    await page.goto(`${gateway.url}/_gateway/dashboard`);
    await signIn(ADMIN_TOKEN);
    await page.getByRole("heading", { name: "Requests by outcome, all keys" }).waitFor();
    await page.goto(`${gateway.url}/_gateway/dashboard#/keys/${member.id}`);
    await page.getByRole("heading", { name: /Shared with its identity, Acme Corp/ }).waitFor();
    // Its own "own" limit and its identity's "shared" one, each with what is left of it.
    await expect
      .poll(() => page.locator("li", { has: page.locator(".remaining") }).allTextContents())
      .toEqual([
        expect.stringMatching(/^own: 10 requests per 60 s — \d+ left/),
        expect.stringMatching(/^shared: 50 requests per 60 s — \d+ left/),
      ]);
    await page.getByText("Quota: 1 of 5000 used").waitFor();
    await page.getByText(/Identity quota: 100000 \(this UTC month\)/).waitFor();
    await shoot("key-detail-identity");

    // Escape asks before the one-time secret is gone.
    await page.getByLabel("Old secret keeps working for").fill("0");
    await page.getByRole("button", { name: "Rotate secret" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel("Secret").waitFor();
    await page.keyboard.press("Escape");
    await dialog.getByText("Close without the secret?").waitFor();
    expect(await dialog.getByLabel("Secret", { exact: true }).isVisible()).toBe(true);
    await dialog.getByRole("button", { name: "Back to the secret" }).click();
    await page.keyboard.press("Escape");
    await dialog.getByRole("button", { name: "Close, I have stored it" }).click();
    await dialog.waitFor({ state: "hidden" });

    // A revoked key's limits finish loading: nothing is counted for it.
    await api("DELETE", `/keys/${member.id}`);
    await page.reload();
    await page.getByText(/This key was revoked/).waitFor();
    await page.getByText("Quota: 5000 (this UTC month); not counted while the key is refused").waitFor();
    for (const label of await page.locator(".quota label").allTextContents()) expect(label).not.toContain("…");

    // The list filters by status on the server, shows created and expiry, and says when nothing matches.
    await page.getByRole("link", { name: "Keys", exact: true }).click();
    await page.getByLabel("Status").selectOption("revoked");
    await expect
      .poll(async () => (await page.locator('td[data-label="Name"] a').allTextContents()).sort())
      .toEqual(["browser key", "member key"]);
    expect(await keysRow("member key").locator('td[data-label="Expires"]').textContent()).toBe("—");
    expect(await keysRow("member key").locator('td[data-label="Created"]').textContent()).toMatch(/2\d{3}/);
    await page.getByLabel("Status").selectOption("active");
    await page.getByText("No keys match these filters.").waitFor();
    await shoot("keys-empty");
    await page.getByRole("button", { name: "Sign out" }).click();
  });

  it("follows the system's dark mode", async () => {
    await page.goto(`${gateway.url}/_gateway/dashboard`);
    await signIn(ADMIN_TOKEN);
    await page.getByRole("heading", { name: "Requests by outcome, all keys" }).waitFor();
    const colours = () =>
      page.evaluate(() => {
        const root = getComputedStyle(document.documentElement);
        return { background: root.backgroundColor, text: root.color };
      });
    expect(await colours()).toEqual({ background: "rgb(255, 255, 255)", text: "rgb(27, 31, 36)" });
    await page.emulateMedia({ colorScheme: "dark" });
    expect(await colours()).toEqual({ background: "rgb(13, 17, 23)", text: "rgb(230, 237, 243)" });
    await page.reload(); // the charts read their axis colours when drawn
    await page.getByRole("heading", { name: "Requests by outcome, all keys" }).waitFor();
    await shoot("overview-dark");
    await page.emulateMedia({ colorScheme: "light" });
    await page.getByRole("button", { name: "Sign out" }).click();
  });

  it("renders the API reference offline, and a problem's type lands on its code's explanation", async () => {
    const problem = (await (await fetch(`${gateway.url}/_gateway/admin/keys`)).json()) as { type: string };
    await page.goto(new URL(problem.type, gateway.url).href);
    await page.getByRole("heading", { name: "Edge API gateway" }).waitFor();
    const row = page.locator(`[id="${problem.type.split("#")[1]}"]`);
    await expect.poll(() => row.evaluate((element) => element.getBoundingClientRect().top)).toBeLessThan(900);
    expect(await row.evaluate((element) => element.getBoundingClientRect().bottom)).toBeGreaterThan(0);
    expect(await row.textContent()).toContain("missing_key");
    await shoot("api-reference-error", { fullPage: false });
    // On a phone the error table stays within the screen.
    await page.setViewportSize({ width: 390, height: 900 });
    const overflow = await page.locator("#errors").evaluate((section) => ({
      width: document.documentElement.clientWidth,
      right: Math.max(...Array.from(section.querySelectorAll("table, td")).map((cell) => cell.getBoundingClientRect().right)),
    }));
    expect(overflow.right).toBeLessThanOrEqual(overflow.width);
    await page.setViewportSize({ width: WIDTHS[0], height: 900 });
    await page.evaluate(() => scrollTo(0, 0));
    await shoot("api-reference", { fullPage: false });
  });

  it("sent nothing to another origin and logged no errors", () => {
    expect(foreignRequests).toEqual([]);
    // The only errors the browser may log are the 401s of tokens the test has refused on purpose.
    const refused = (text: string) => text.includes("status of 401");
    expect(consoleErrors.filter((text) => !refused(text))).toEqual([]);
    expect(consoleErrors.filter(refused).length).toBeLessThanOrEqual(refusedCalls.length);
    for (const url of refusedCalls) expect(url.startsWith(`${gateway.url}/_gateway/admin/`), url).toBe(true);
  });
});
