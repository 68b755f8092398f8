import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ERRORS } from "../../src/errors";
import { operationAnchor } from "../../src/gateway/docs";

async function page(): Promise<{ response: Response; html: string }> {
  const response = await exports.default.fetch("http://gw.test/_gateway/docs");
  return { response, html: await response.text() };
}

describe("GET /_gateway/docs", () => {
  it("is a self-contained HTML page: no scripts and nothing loaded from elsewhere", async () => {
    const { response, html } = await page();
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    expect(html).toMatch(/^<!doctype html>/i);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//i);
    expect(html).not.toMatch(/@import|url\(/i);
  });

  it("has a section per operation of the OpenAPI document", async () => {
    const document = (await (await exports.default.fetch("http://gw.test/_gateway/openapi.json")).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const { html } = await page();
    for (const [path, item] of Object.entries(document.paths)) {
      for (const method of Object.keys(item)) {
        expect(html, `${method} ${path}`).toContain(`id="${operationAnchor(method, path)}"`);
        expect(html).toContain(`/_gateway${path}`);
      }
    }
  });

  it("has an anchor for every error code, where problem types point", async () => {
    const { html } = await page();
    for (const code of Object.keys(ERRORS)) expect(html).toContain(`id="error-${code}"`);
    const problem = await (await exports.default.fetch("http://gw.test/_gateway/admin/keys")).json<{ type: string }>();
    expect(html).toContain(`id="${problem.type.split("#")[1]}"`);
  });
});
