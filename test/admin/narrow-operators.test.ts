import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { admin } from "../support/admin";
import { call, expectProblem, gatewayEnv, json } from "../support/gateway";

const gateway = gatewayEnv([{ path: "/api/*", upstream: env.UPSTREAM_URL }]);

let client = 0;
function withToken(token: string, method: string, path: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, "cf-connecting-ip": `198.51.100.${(++client % 250) + 1}` };
  if (body !== undefined) headers["content-type"] = "application/json";
  return call(gateway, `/_gateway/admin${path}`, { method, headers, ...(body !== undefined && { body: JSON.stringify(body) }) });
}

const operator = async (scopes: string[]) =>
  json<{ id: string; token: string }>(await admin(gateway, "POST", "/operators", { name: "narrow", scopes }), 201);

describe("narrow operator tokens", () => {
  it("may revoke only tokens whose scopes it holds itself", async () => {
    const narrow = await operator(["operators:write"]);
    const wider = await operator(["keys:write", "operators:write"]);
    const peer = await operator(["operators:write"]);
    const refused = await expectProblem(await withToken(narrow.token, "DELETE", `/operators/${wider.id}`), 403, "insufficient_scope");
    expect(refused.detail).toContain("keys:write");
    expect((await withToken(narrow.token, "DELETE", `/operators/${peer.id}`)).status).toBe(204);
    // The wider token still works.
    expect((await withToken(wider.token, "GET", "/keys?limit=1")).status).toBe(403); // keys:read it lacks, but it authenticates
  });

  it("shows webhook URLs without their query string to tokens that cannot manage webhooks", async () => {
    const url = "https://hooks.example.com/gateway?token=s3cret-query";
    const { id } = await json<{ id: string }>(await admin(gateway, "POST", "/webhooks", { url, events: ["key.revoked"] }), 201);
    const reader = await operator(["usage:read"]);
    const one = await json<{ url: string }>(await withToken(reader.token, "GET", `/webhooks/${id}`), 200);
    expect(one.url).toBe("https://hooks.example.com/gateway?redacted");
    const listed = await withToken(reader.token, "GET", "/webhooks?limit=100");
    expect(await listed.text()).not.toContain("s3cret-query");
    // The admin token (operators:write) sees it whole.
    expect((await json<{ url: string }>(await admin(gateway, "GET", `/webhooks/${id}`), 200)).url).toBe(url);

    const auditor = await operator(["keys:read"]);
    const audit = await withToken(auditor.token, "GET", "/audit?limit=100");
    expect(audit.status).toBe(200);
    const text = await audit.text();
    expect(text).toContain("hooks.example.com/gateway?redacted");
    expect(text).not.toContain("s3cret-query");
  });
});
