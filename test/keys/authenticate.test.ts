import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { generateKey } from "../../src/keys/format";
import { createKey, revokeKey } from "../support/admin";
import { withClockAhead } from "../support/clock";
import { call, countingD1, countingObjects, type Echo, expectProblem, gatewayEnv } from "../support/gateway";

const counted = countingD1(env.DB);
const gateway = gatewayEnv(
  [
    { path: "/api/*", upstream: env.UPSTREAM_URL, stripPrefix: true },
    { path: "/open/*", upstream: env.UPSTREAM_URL, auth: "none" },
    { path: "/maybe/*", upstream: env.UPSTREAM_URL, auth: "optional" },
    { path: "/scoped", upstream: env.UPSTREAM_URL, scopes: ["read", "write"] },
  ],
  { DB: counted.db, GATEWAY_REALM: "acme" },
);

let valid: string;
beforeAll(async () => {
  valid = (await createKey(gateway, { scopes: ["read"] })).key;
});

async function expectRefused(response: Response, code: string) {
  expect(response.headers.get("www-authenticate")).toBe('api-key realm="acme"');
  await expectProblem(response, 401, code);
}

describe("authentication", () => {
  it("admits a valid key in each accepted header", async () => {
    for (const headers of [{ authorization: `api-key ${valid}` }, { authorization: `Bearer ${valid}` }, { "x-api-key": valid }] as Record<
      string,
      string
    >[]) {
      const response = await call(gateway, "/api/thing", { headers });
      expect(response.status).toBe(200);
      expect(((await response.json()) as Echo).path).toBe("/thing");
    }
  });

  it("refuses a request without a key with 401 missing_key", async () => {
    await expectRefused(await call(gateway, "/api/thing"), "missing_key");
  });

  it("refuses a malformed key without any D1 query", async () => {
    // The registered import shapes (docs/keys.md § Import) are read once per isolate, not per key.
    await call(gateway, "/api/thing", { headers: { "x-api-key": `${valid}x` } });
    const before = counted.queries();
    const wrongChecksum = valid.slice(0, -1) + (valid.endsWith("A") ? "B" : "A");
    for (const key of ["nope", wrongChecksum, `${valid}x`, "' OR 1=1 --"]) {
      await expectRefused(await call(gateway, "/api/thing", { headers: { "x-api-key": key } }), "invalid_key");
    }
    expect(counted.queries()).toBe(before);
  });

  it("refuses a well-formed unknown key with 401 invalid_key", async () => {
    await expectRefused(await call(gateway, "/api/thing", { headers: { "x-api-key": generateKey("gk_live") } }), "invalid_key");
  });

  it("refuses a revoked key on the next request", async () => {
    const created = await createKey(gateway);
    expect((await call(gateway, "/api/x", { headers: { "x-api-key": created.key } })).status).toBe(200);
    expect((await revokeKey(gateway, created.id)).status).toBe(204);
    await expectRefused(await call(gateway, "/api/x", { headers: { "x-api-key": created.key } }), "revoked_key");
  });

  it("refuses an expired key", async () => {
    const created = await createKey(gateway, { expiresAt: new Date(Date.now() - 1000).toISOString() });
    await expectRefused(await call(gateway, "/api/x", { headers: { "x-api-key": created.key } }), "expired_key");
  });

  it("refuses a disabled key", async () => {
    const created = await createKey(gateway, { enabled: false });
    await expectRefused(await call(gateway, "/api/x", { headers: { "x-api-key": created.key } }), "disabled_key");
  });

  it("serves a cached key with zero D1 queries on the warm path", async () => {
    const created = await createKey(gateway);
    await call(gateway, "/api/warm", { headers: { "x-api-key": created.key } }); // cold: one lookup
    const before = counted.queries();
    for (let i = 0; i < 5; i++) expect((await call(gateway, "/api/warm", { headers: { "x-api-key": created.key } })).status).toBe(200);
    expect(counted.queries()).toBe(before);
  });

  it("looks an unknown key up in D1 once, then remembers the miss briefly", async () => {
    const unknown = generateKey("gk_live");
    const before = counted.queries();
    await call(gateway, "/api/x", { headers: { "x-api-key": unknown } });
    await call(gateway, "/api/x", { headers: { "x-api-key": unknown } });
    expect(counted.queries() - before).toBe(1);
  });

  it("needs no key on an auth = none route", async () => {
    expect((await call(gateway, "/open/x")).status).toBe(200);
  });

  it("admits anonymous calls on an optional route but still refuses a bad key there", async () => {
    expect((await call(gateway, "/maybe/x")).status).toBe(200);
    await expectRefused(await call(gateway, "/maybe/x", { headers: { "x-api-key": "bad" } }), "invalid_key");
    const ok = await call(gateway, "/maybe/x", { headers: { "x-api-key": valid } });
    expect(((await ok.json()) as Echo).headers["x-gateway-key-id"]).toMatch(/^key_/);
  });

  it("refuses a key without the route's scopes with 403 insufficient_scope", async () => {
    const response = await call(gateway, "/scoped", { headers: { "x-api-key": valid } });
    expect(response.status).toBe(403);
    await expectProblem(response, 403, "insufficient_scope");
    const both = await createKey(gateway, { scopes: ["read", "write", "admin"] });
    expect((await call(gateway, "/scoped", { headers: { "x-api-key": both.key } })).status).toBe(200);
  });

  it("does not accept the key as a query parameter by default", async () => {
    await expectRefused(await call(gateway, `/api/x?api_key=${valid}`), "missing_key");
  });
});

describe("configured credential sources", () => {
  const withQuery = gatewayEnv([{ path: "/api/*", upstream: env.UPSTREAM_URL, stripPrefix: true }], {
    CREDENTIAL_SOURCES: JSON.stringify(["query:api_key", "header:x-api-key"]),
  });

  it("accepts a key in a query parameter when configured, and removes it before proxying", async () => {
    const { key } = await createKey(withQuery);
    const response = await call(withQuery, `/api/thing?api_key=${key}&page=2`);
    expect(response.status).toBe(200);
    const seen = (await response.json()) as Echo;
    expect(seen.query).toEqual({ page: "2" });
  });

  it("ignores sources that are not configured", async () => {
    const { key } = await createKey(withQuery);
    const response = await call(withQuery, "/api/thing", { headers: { authorization: `Bearer ${key}` } });
    expect(response.status).toBe(401);
  });
});

describe("key cache settings", () => {
  it("honours KEY_CACHE_TTL_SECONDS: a record older than the TTL is looked up again", async () => {
    // The import prefixes' refresh (every 30 s, in the background) is no key lookup.
    const counted = countingD1(env.DB, (sql) => sql.includes("import_prefixes"));
    const objects = countingObjects(env.KEY_LIMITER);
    const shortLived = gatewayEnv([{ path: "/api/*", upstream: env.UPSTREAM_URL }], {
      DB: counted.db,
      KEY_LIMITER: objects.namespace,
      KEY_CACHE_TTL_SECONDS: "1",
    });
    // A key's record is looked up in D1, or (its body naming its object) asked of its object with the decision.
    const lookups = () => counted.queries() + objects.calls.filter((c) => c.endsWith(" resolve")).length;
    const { key } = await createKey(shortLived);
    await call(shortLived, "/api/x", { headers: { "x-api-key": key } });
    const afterFirst = lookups();
    await call(shortLived, "/api/x", { headers: { "x-api-key": key } });
    expect(lookups()).toBe(afterFirst);
    await withClockAhead(1_100, async () => {
      await call(shortLived, "/api/x", { headers: { "x-api-key": key } });
      expect(lookups()).toBe(afterFirst + 1);
    });
  });
});
