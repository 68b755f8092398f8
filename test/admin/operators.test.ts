import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { hashOperatorToken } from "../../src/operators/token";
import { admin } from "../support/admin";
import { call, countingD1, expectProblem, gatewayEnv, json } from "../support/gateway";

const gateway = gatewayEnv([{ path: "/api/*", upstream: env.UPSTREAM_URL }]);

interface Operator {
  id: string;
  name: string;
  scopes: string[];
  start: string;
  createdAt: string;
  revokedAt: string | null;
}
type CreatedOperator = Operator & { token: string };
type AuditPage = { items: { action: string; keyId: string | null; actor: string; changes: Record<string, unknown> }[] };

let client = 0;
/** An admin call with the given token, from its own client address (failed logins are limited per address). */
function withToken(token: string, method: string, path: string, body?: unknown, target = gateway): Promise<Response> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, "cf-connecting-ip": `198.51.100.${(++client % 250) + 1}` };
  if (body !== undefined) headers["content-type"] = "application/json";
  return call(target, `/_gateway/admin${path}`, { method, headers, ...(body !== undefined && { body: JSON.stringify(body) }) });
}

async function createOperator(scopes: string[], name = "ops"): Promise<CreatedOperator> {
  return json(await admin(gateway, "POST", "/operators", { name, scopes }), 201);
}

describe("operator tokens", () => {
  it("are created with a recognisable token shown once, listed without it, and stored only as a hash", async () => {
    const created = await createOperator(["keys:read", "usage:read"], "support desk");
    expect(created.token).toMatch(/^gop_[0-9A-Za-z]{38}$/);
    expect(created).toMatchObject({ name: "support desk", scopes: ["keys:read", "usage:read"], revokedAt: null });
    expect(created.id).toMatch(/^op_/);
    expect(created.token.startsWith(created.start)).toBe(true);

    const listed = await json<{ items: Operator[]; nextCursor: string | null }>(await admin(gateway, "GET", "/operators?limit=100"), 200);
    const item = listed.items.find((o) => o.id === created.id);
    expect(item).toEqual({
      id: created.id,
      name: "support desk",
      scopes: ["keys:read", "usage:read"],
      start: created.start,
      createdAt: created.createdAt,
      revokedAt: null,
    });
    const stored = await env.DB.prepare("SELECT * FROM operators WHERE id = ?").bind(created.id).first<Record<string, unknown>>();
    expect(stored?.hash).toBe(hashOperatorToken(created.token));
    expect(JSON.stringify(stored)).not.toContain(created.token);
    expect(JSON.stringify(listed)).not.toContain(stored?.hash);
  });

  it("page through the list with a cursor", async () => {
    for (let i = 0; i < 3; i++) await createOperator(["keys:read"], `paged ${i}`);
    const first = await json<{ items: Operator[]; nextCursor: string }>(await admin(gateway, "GET", "/operators?limit=2"), 200);
    expect(first.items).toHaveLength(2);
    const second = await json<{ items: Operator[] }>(await admin(gateway, "GET", `/operators?limit=2&cursor=${first.nextCursor}`), 200);
    expect(second.items[0]!.id > first.items[1]!.id).toBe(true);
  });

  it("allow the calls their scopes cover and refuse the others with 403 insufficient_scope", async () => {
    const reader = await createOperator(["keys:read"]);
    await json(await withToken(reader.token, "GET", "/keys"), 200);
    const refused = await withToken(reader.token, "POST", "/keys", { name: "nope" });
    const body = await expectProblem(refused, 403, "insufficient_scope");
    expect(body.detail).toContain("keys:write");
    expect(refused.headers.get("www-authenticate")).toMatch(/^Bearer realm="[^"]+", error="insufficient_scope", scope="keys:write"$/);
  });

  it("refuse a token without the scope before looking at the body", async () => {
    const reader = await createOperator(["keys:read"]);
    await expectProblem(await withToken(reader.token, "POST", "/keys", { bogus: true }), 403, "insufficient_scope");
  });

  it("cannot grant a scope the creating token lacks", async () => {
    const delegate = await createOperator(["operators:write", "keys:read"]);
    await expectProblem(
      await withToken(delegate.token, "POST", "/operators", { name: "x", scopes: ["keys:write"] }),
      403,
      "insufficient_scope",
    );
    await json(await withToken(delegate.token, "POST", "/operators", { name: "x", scopes: ["keys:read"] }), 201);
  });

  it("are refused from the next call once revoked, and the row is kept", async () => {
    const writer = await createOperator(["keys:write", "keys:read"]);
    await json(await withToken(writer.token, "GET", "/keys"), 200);
    expect((await admin(gateway, "DELETE", `/operators/${writer.id}`)).status).toBe(204);
    const refused = await withToken(writer.token, "GET", "/keys");
    await expectProblem(refused, 401, "invalid_token");
    expect(refused.headers.get("www-authenticate")).toMatch(/^Bearer realm="[^"]+", error="invalid_token"$/);
    const listed = await json<{ items: Operator[] }>(await admin(gateway, "GET", "/operators?limit=100"), 200);
    expect(listed.items.find((o) => o.id === writer.id)?.revokedAt).not.toBeNull();
    expect((await admin(gateway, "DELETE", `/operators/${writer.id}`)).status).toBe(204);
  });

  it("answer 404 for revoking an unknown id and 400 for a bad body", async () => {
    await expectProblem(await admin(gateway, "DELETE", "/operators/op_unknown"), 404, "not_found");
    await expectProblem(await admin(gateway, "POST", "/operators", { name: "x", scopes: ["keys:everything"] }), 400, "invalid_request");
    await expectProblem(await admin(gateway, "POST", "/operators", { name: "x", scopes: [] }), 400, "invalid_request");
    await expectProblem(await admin(gateway, "POST", "/operators", { scopes: ["keys:read"] }), 400, "invalid_request");
  });

  it("refuse a malformed token as invalid_token without a D1 query", async () => {
    const counted = countingD1(env.DB);
    const target = { ...gateway, DB: counted.db };
    for (const token of ["gop_short", `gop_${"A".repeat(38)}`, "not-a-token"]) {
      await expectProblem(await withToken(token, "GET", "/keys", undefined, target), 401, "invalid_token");
    }
    expect(counted.queries()).toBe(0);
  });

  it("sign the audit log: actor is the operator's id, or admin, and ?actor= filters by it", async () => {
    const writer = await createOperator(["keys:write", "keys:read"]);
    const created = await json<{ id: string }>(await withToken(writer.token, "POST", "/keys", { name: "by operator" }), 201);
    await json(await admin(gateway, "PATCH", `/keys/${created.id}`, { name: "by admin" }), 200);
    await json(await withToken(writer.token, "PATCH", `/keys/${created.id}`, { enabled: false }), 200);

    const forKey = await json<AuditPage>(await admin(gateway, "GET", `/audit?keyId=${created.id}`), 200);
    expect(forKey.items.map((e) => [e.action, e.actor])).toEqual([
      ["key.update", writer.id],
      ["key.update", "admin"],
      ["key.create", writer.id],
    ]);
    const byWriter = await json<AuditPage>(await admin(gateway, "GET", `/audit?actor=${writer.id}`), 200);
    expect(byWriter.items.map((e) => e.action)).toEqual(["key.update", "key.create"]);
    expect(byWriter.items.every((e) => e.actor === writer.id)).toBe(true);
  });

  it("record their own creation and revocation in the audit log, without the token", async () => {
    const delegate = await createOperator(["operators:write", "keys:read"]);
    const child = await json<CreatedOperator>(
      await withToken(delegate.token, "POST", "/operators", { name: "child", scopes: ["keys:read"] }),
      201,
    );
    expect((await withToken(delegate.token, "DELETE", `/operators/${child.id}`)).status).toBe(204);
    const page = await json<AuditPage>(await admin(gateway, "GET", `/audit?actor=${delegate.id}`), 200);
    expect(page.items.map((e) => [e.action, e.keyId])).toEqual([
      ["operator.revoke", null],
      ["operator.create", null],
    ]);
    expect(page.items[1]!.changes).toMatchObject({ operatorId: child.id, name: "child", scopes: ["keys:read"], start: child.start });
    expect(page.items[0]!.changes).toMatchObject({ operatorId: child.id });
    expect(JSON.stringify(page)).not.toContain(child.token);
    expect(JSON.stringify(page)).not.toContain(hashOperatorToken(child.token));
  });
});

type Document = { paths: Record<string, Record<string, { security?: Record<string, string[]>[] }>> };

describe("admin scopes", () => {
  it("every admin operation declares one scope, and a token holding every other scope is refused it", async () => {
    const document = (await (await exports.default.fetch("http://gw.test/_gateway/openapi.json")).json()) as Document;
    const operations = Object.entries(document.paths)
      .filter(([path]) => path.startsWith("/admin/"))
      .flatMap(([path, item]) => Object.entries(item).map(([method, operation]) => ({ method: method.toUpperCase(), path, operation })));
    expect(operations.length).toBeGreaterThanOrEqual(11);
    const all = ["keys:read", "keys:write", "keys:verify", "usage:read", "operators:write"];
    const lacking = new Map<string, CreatedOperator>();
    for (const scope of all) lacking.set(scope, await createOperator(all.filter((s) => s !== scope)));
    for (const { method, path, operation } of operations) {
      const scopes = operation.security?.flatMap((requirement) => requirement.adminToken ?? []) ?? [];
      expect(scopes, `${method} ${path}`).toHaveLength(1);
      const without = lacking.get(scopes[0]!)!;
      const concrete = path.slice("/admin".length).replaceAll(/\{[^}]+\}/g, "x_unknown");
      const response = await withToken(without.token, method, concrete, method === "GET" || method === "DELETE" ? undefined : {});
      await expectProblem(response, 403, "insufficient_scope");
    }
  });

  it("a key created by an operator works on the request path", async () => {
    const writer = await createOperator(["keys:write"]);
    const created = await json<{ key: string }>(await withToken(writer.token, "POST", "/keys", { name: "from op" }), 201);
    expect((await call(gateway, "/api/x", { headers: { "x-api-key": created.key } })).status).toBe(200);
  });
});
