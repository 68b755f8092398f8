// The customers' portal sign-in on the built worker (its lazily loaded portal module), against the
// real local OpenID provider: over plain HTTP with the test helper, and in a real browser.
import chromium from "@sparticuz/chromium";
import { chromium as playwright } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalGateway } from "../../dev/local-gateway.ts";
import { type LocalOidcProvider, startOidcProvider } from "../../dev/oidc-provider.ts";
import { newCustomerEmail, signIn, TEST_CUSTOMER_PASSWORD } from "../support/oidc.ts";
import { startGateway } from "./support/gateway.ts";

const CLIENT = { clientId: "e2e-portal", clientSecret: "e2e-portal-secret" };

let provider: LocalOidcProvider;
let gateway: LocalGateway;

beforeAll(async () => {
  provider = await startOidcProvider({
    clients: [{ ...CLIENT, redirectUris: ["http://127.0.0.1/_gateway/portal/callback"], anyLoopbackPort: true }],
    anyEmailPassword: TEST_CUSTOMER_PASSWORD,
  });
  gateway = await startGateway({
    bindings: {
      ADMIN_TOKEN: "e2e-admin-token",
      GATEWAY_ROUTES: "[]",
      OIDC_ISSUER: provider.issuer,
      OIDC_CLIENT_ID: CLIENT.clientId,
      OIDC_CLIENT_SECRET: CLIENT.clientSecret,
    },
  });
});

afterAll(async () => {
  await gateway?.dispose();
  await provider?.close();
});

const at = (path: string, init?: RequestInit) => fetch(`${gateway.url}${path}`, init);

describe("portal sign-in on the built worker", () => {
  it("signs in over HTTP, and the session ends on logout", async () => {
    const cookie = await signIn(at, newCustomerEmail());
    expect((await at("/_gateway/portal", { headers: { cookie }, redirect: "manual" })).status).toBe(200);
    const out = await at("/_gateway/portal/logout", { method: "POST", headers: { cookie, origin: gateway.url } });
    expect(out.status).toBe(204);
    expect((await at("/_gateway/portal/api/me", { headers: { cookie } })).status).toBe(401);
  });

  it("signs a demo customer in and out in a browser, through the provider's own form", async () => {
    const browser = await playwright.launch({ executablePath: await chromium.executablePath(), args: chromium.args, headless: true });
    try {
      const page = await browser.newPage({ viewport: { width: 390, height: 800 } });
      await page.goto(`${gateway.url}/_gateway/portal`);
      await page.getByRole("link", { name: "Sign in" }).click();
      await page.waitForURL((url) => url.href.startsWith(provider.issuer));
      await page.fill("#email", "demo@example.com");
      await page.fill("#password", "wrong-password");
      await page.click("button[type=submit]");
      expect(await page.textContent("[role=alert]")).toContain("Wrong email or password");
      await page.fill("#email", "demo@example.com");
      await page.fill("#password", "demo-password");
      await page.click("button[type=submit]");
      await page.waitForURL(`${gateway.url}/_gateway/portal`);
      await page.getByText("demo@example.com").waitFor();
      await page.getByRole("button", { name: "Sign out" }).click();
      await page.getByText("Signed out.").waitFor();
      expect(await page.evaluate(() => fetch("/_gateway/portal/api/me").then((r) => r.status))).toBe(401);
    } finally {
      await browser.close();
    }
  });
});
