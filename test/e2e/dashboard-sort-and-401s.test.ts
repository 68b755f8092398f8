// The dashboard in a real Chromium, against the built gateway on a socket: the key list sorted on the
// server (column headers, the Sort select), and the overview counting 401s by route and outcome.
import chromium from "@sparticuz/chromium";
import { type Browser, type Page, chromium as playwright } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalGateway } from "../../dev/local-gateway.ts";
import { startGateway } from "./support/gateway.ts";
import { screenshots, WIDTHS } from "./support/screenshots.ts";

const ADMIN_TOKEN = "dashboard-sort-e2e-admin-token";

let gateway: LocalGateway;
let browser: Browser;
let page: Page;
const shoot = screenshots(() => page, "dashboard");
const consoleErrors: string[] = [];
/** The key list calls the page made, to see that the order came from the server. */
const listCalls: URL[] = [];

beforeAll(async () => {
  [gateway, browser] = await Promise.all([
    startGateway({ bindings: { ADMIN_TOKEN, GATEWAY_ROUTES: JSON.stringify([{ path: "/api/*", upstream: "https://example.com" }]) } }),
    playwright.launch({ executablePath: await chromium.executablePath(), args: chromium.args, headless: true }),
  ]);
  page = await browser.newPage({ viewport: { width: WIDTHS[0], height: 900 }, locale: "en-US", timezoneId: "UTC" });
  page.on("console", (message) => {
    if (message.type() === "error") consoleErrors.push(message.text());
  });
  page.on("pageerror", (error) => consoleErrors.push(error.message));
  page.on("request", (request) => {
    const url = new URL(request.url());
    if (url.pathname === "/_gateway/admin/keys") listCalls.push(url);
  });
});

afterAll(async () => {
  await browser?.close();
  await gateway?.dispose();
});

async function createKey(body: Record<string, unknown>): Promise<void> {
  const response = await fetch(`${gateway.url}/_gateway/admin/keys`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(201);
}

/** The names in the list, top to bottom, once the list shows `count` rows. */
async function names(count: number): Promise<string[]> {
  const links = page.locator("table.keys tbody tr td[data-label='Name'] a");
  await expect.poll(() => links.count()).toBe(count);
  return links.allTextContents();
}

/** Waits for the list to show exactly `expected`, in that order. */
async function expectOrder(expected: string[]): Promise<void> {
  await expect.poll(() => names(expected.length)).toEqual(expected);
}

describe("the dashboard's key list, sorted on the server", () => {
  it("sorts by clicking the column headers and with the Sort select, keeping the search", async () => {
    const tag = `sorted${Date.now()}`;
    const day = 86_400_000;
    // Created in this order: bravo, alpha, Charlie, delta.
    await createKey({ name: `bravo ${tag}`, expiresAt: new Date(Date.now() + 3 * day).toISOString() });
    await createKey({ name: `alpha ${tag}`, expiresAt: new Date(Date.now() + 1 * day).toISOString() });
    await createKey({ name: `Charlie ${tag}` });
    await createKey({ name: `delta ${tag}`, expiresAt: new Date(Date.now() + 2 * day).toISOString() });
    await createKey({ name: "unrelated" });

    await page.goto(`${gateway.url}/_gateway/dashboard`);
    await page.getByLabel("Operator token").fill(ADMIN_TOKEN);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("link", { name: "Keys", exact: true }).click();
    await page.getByLabel("Search name, owner, id or start").fill(tag);

    const n = (name: string) => `${name} ${tag}`;
    // Newest first by default.
    await expectOrder([n("delta"), n("Charlie"), n("alpha"), n("bravo")]);
    const nameHeader = page.getByRole("columnheader", { name: "Name" });
    expect(await page.getByRole("columnheader", { name: "Created" }).getAttribute("aria-sort")).toBe("descending");

    await nameHeader.getByRole("button").click();
    await expectOrder([n("alpha"), n("bravo"), n("Charlie"), n("delta")]); // case ignored
    expect(await nameHeader.getAttribute("aria-sort")).toBe("ascending");
    await shoot("keys-sorted", { docs: true });
    // At phone width each row is a card: a long name wraps rather than pushing its Copy button out.
    await page.setViewportSize({ width: 390, height: 900 });
    const overflowing = await page.locator("table.keys tbody tr").evaluateAll(
      (rows) =>
        rows.filter((row) => {
          const card = row.getBoundingClientRect();
          const copy = row.querySelector("button.copy")?.getBoundingClientRect();
          return !copy || copy.right > card.right || copy.left < card.left;
        }).length,
    );
    expect(overflowing).toBe(0);
    await page.setViewportSize({ width: WIDTHS[0], height: 900 });

    await nameHeader.getByRole("button").click();
    await expectOrder([n("delta"), n("Charlie"), n("bravo"), n("alpha")]);
    expect(await nameHeader.getAttribute("aria-sort")).toBe("descending");

    await page.getByRole("columnheader", { name: "Expires" }).getByRole("button").click();
    await expectOrder([n("alpha"), n("delta"), n("bravo"), n("Charlie")]); // soonest first, never-expiring last
    expect(await nameHeader.getAttribute("aria-sort")).toBe("none");

    await page.getByLabel("Sort", { exact: true }).selectOption("createdAt");
    await expectOrder([n("bravo"), n("alpha"), n("Charlie"), n("delta")]);

    // Each order was the server's: the calls carried the sort and the search.
    const sorts = listCalls.filter((url) => url.searchParams.get("q") === tag).map((url) => url.searchParams.get("sort"));
    expect(sorts).toEqual(expect.arrayContaining(["-createdAt", "name", "-name", "expiresAt", "createdAt"]));
    expect(consoleErrors).toEqual([]);
  });
});

describe("the dashboard's overview with 401s", () => {
  it("counts requests refused for their key by route and as an outcome, though they have no key", async () => {
    const refused = await Promise.all(
      ([{}, { "x-api-key": "gk_live_not-a-key" }, { authorization: "Bearer nonsense" }] as Record<string, string>[]).map((headers) =>
        fetch(`${gateway.url}/api/x`, { headers }).then((r) => r.status),
      ),
    );
    expect(refused).toEqual([401, 401, 401]);
    await page.getByRole("link", { name: "Overview" }).click();
    const routes = page.locator("section", { hasText: "Requests by route" });
    await routes.getByRole("columnheader", { name: "401s" }).waitFor();
    const apiRow = routes.locator("tbody tr", { hasText: "/api/*" });
    await expect.poll(() => apiRow.locator("td").last().textContent()).toBe("3");
    const refusals = page.locator("section", { hasText: "Refusals by error code" });
    await expect.poll(() => refusals.locator("tbody tr", { hasText: "unauthorized" }).locator("td").last().textContent()).toBe("3");
    await page.getByText("Unauthorized (401)").first().waitFor();
    await shoot("overview-401s", { docs: true });
    expect(consoleErrors).toEqual([]);
  });
});
