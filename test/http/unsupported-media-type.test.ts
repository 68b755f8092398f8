import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import errorsPage from "../../docs/errors.md?raw";
import { ERRORS } from "../../src/errors";
import { call, expectProblem, gatewayEnv } from "../support/gateway";

const gateway = gatewayEnv([{ path: "/api/*", upstream: env.UPSTREAM_URL }]);

function adminWithBody(method: string, path: string, body: string, contentType?: string): Promise<Response> {
  const headers: Record<string, string> = { authorization: `Bearer ${env.ADMIN_TOKEN}` };
  if (contentType) headers["content-type"] = contentType;
  return call(gateway, `/_gateway/admin${path}`, { method, headers, body });
}

describe("a body that is not declared JSON", () => {
  it("answers 415 unsupported_media_type as problem+json when Content-Type is missing", async () => {
    const response = await adminWithBody("POST", "/keys", '{"name":"no type"}');
    const problem = await expectProblem(response, 415, "unsupported_media_type");
    expect(problem.detail).toContain("Content-Type: application/json");
    expect(response.headers.get("x-request-id")).toBe(problem.requestId);
  });

  it("answers 415 as problem+json for another content type, on a PATCH too", async () => {
    await expectProblem(await adminWithBody("POST", "/webhooks", "{}", "text/plain"), 415, "unsupported_media_type");
    await expectProblem(
      await adminWithBody("PATCH", "/identities/idt_x", "{}", "application/x-www-form-urlencoded"),
      415,
      "unsupported_media_type",
    );
  });
});

describe("docs/errors.md", () => {
  it("lists every error code with its status", () => {
    const rows = new Map<string, string>();
    for (const [, status, codes] of errorsPage.matchAll(/^\|\s*(\d{3})[^|]*\|([^\n]*)\|\s*$/gm)) {
      for (const [, code] of (codes ?? "").matchAll(/`([a-z_]+)`/g)) if (code && code in ERRORS) rows.set(code, status ?? "");
    }
    for (const [code, { status }] of Object.entries(ERRORS)) expect(rows.get(code), code).toBe(String(status));
  });
});
