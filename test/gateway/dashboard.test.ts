import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call } from "../support/gateway";

const page = () => call(env, "/_gateway/dashboard");

describe("dashboard files", () => {
  it("serves the page with a CSP that allows only its own origin and no inline script", async () => {
    const response = await page();
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    const csp = response.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
    expect(response.headers.get("x-frame-options")).toBe("DENY");
    const html = await response.text();
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attributes, body] of scripts) {
      expect(attributes).toMatch(/\bsrc="\/_gateway\/dashboard\//);
      expect(body?.trim()).toBe("");
    }
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
  });

  it("serves the trailing-slash path as the same page", async () => {
    const [plain, slashed] = await Promise.all([page(), call(env, "/_gateway/dashboard/")]);
    expect(slashed.status).toBe(200);
    expect(await slashed.text()).toBe(await plain.text());
  });

  it("serves the page's script as immutable JavaScript and the page itself revalidated", async () => {
    const response = await page();
    expect(response.headers.get("cache-control")).toBe("no-cache");
    const src = (await response.text()).match(/<script[^>]*src="([^"]+)"/)?.[1];
    const script = await call(env, src!);
    expect(script.status).toBe(200);
    expect(script.headers.get("content-type")).toMatch(/javascript/);
    expect(script.headers.get("cache-control")).toContain("immutable");
    expect((await script.text()).length).toBeGreaterThan(1000);
  });

  it("answers a file it does not have with the gateway's 404 problem", async () => {
    const response = await call(env, "/_gateway/dashboard/assets/missing.js");
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
  });

  it("keeps proxied paths out of the assets", async () => {
    const response = await call(env, "/dashboard/assets/index.html");
    expect(response.headers.get("content-type")).toBe("application/problem+json");
  });
});
