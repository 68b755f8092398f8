import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ERRORS } from "../../src/errors";

const get = (path: string) => exports.default.fetch(`http://gw.test${path}`);

async function page(): Promise<{ response: Response; html: string }> {
  const response = await get("/_gateway/docs");
  return { response, html: await response.text() };
}

describe("GET /_gateway/docs", () => {
  it("loads only the gateway's own scripts, none inline, under a CSP that forbids any other origin", async () => {
    const { response, html } = await page();
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    expect(html).toMatch(/^<!doctype html>/i);
    const csp = response.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'self'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe/);
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.map(([, attributes]) => attributes?.match(/src="([^"]+)"/)?.[1])).toEqual(["/_gateway/docs/reference.js"]);
    for (const [, , body] of scripts) expect(body).toBe("");
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//i);
  });

  it("serves the reference's script, its mount script and stylesheet from the static assets", async () => {
    for (const [path, type] of [
      ["/_gateway/docs/scalar.js", /javascript/],
      ["/_gateway/docs/reference.js", /javascript/],
      ["/_gateway/docs/reference.css", /text\/css/],
    ] as const) {
      const response = await get(path);
      expect(response.status, path).toBe(200);
      expect(response.headers.get("content-type")).toMatch(type);
      await response.arrayBuffer();
    }
  });

  it("has a row for every error code, where problem types point", async () => {
    const { html } = await page();
    for (const code of Object.keys(ERRORS)) expect(html).toMatch(new RegExp(`<tr id="error-${code}"><td><code>${code}</code>`));
    const problem = await (await get("/_gateway/admin/keys")).json<{ type: string }>();
    expect(problem.type).toMatch(/^\/_gateway\/docs#error-/);
    expect(html).toContain(`id="${problem.type.split("#")[1]}"`);
  });

  it("escapes help texts and renders their code spans", async () => {
    const { html } = await page();
    expect(html).toContain("<code>detail</code> names each bad field");
  });
});
