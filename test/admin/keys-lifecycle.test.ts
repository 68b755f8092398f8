import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { admin, createKey, expectProblem, json, scenarioEnv, withKey, type CreatedKeyJson, type KeyJson } from "../support/admin";

const gateway = scenarioEnv([{ path: "/api/*", upstream: env.UPSTREAM_URL }]);

describe("GET /_gateway/admin/keys/:id", () => {
  it("answers the key object", async () => {
    const created = await createKey(gateway, { owner: "get-owner" });
    const key = await json<KeyJson>(await admin(gateway, "GET", `/keys/${created.id}`), 200);
    const { key: _plaintext, ...object } = created;
    expect(key).toEqual(object);
  });

  it("answers 404 not_found for an unknown id", async () => {
    await expectProblem(await admin(gateway, "GET", "/keys/key_doesnotexist"), 404, "not_found");
  });
});

describe("GET /_gateway/admin/keys", () => {
  it("pages through one owner's keys with a cursor, each key once", async () => {
    const owner = `owner-${crypto.randomUUID()}`;
    const ids = new Set<string>();
    for (let i = 0; i < 5; i++) ids.add((await createKey(gateway, { owner, name: `k${i}` })).id);
    await createKey(gateway, { owner: "someone-else" });

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = `?owner=${owner}&limit=2${cursor ? `&cursor=${cursor}` : ""}`;
      const page: { items: KeyJson[]; nextCursor: string | null } = await json(await admin(gateway, "GET", `/keys${query}`), 200);
      expect(page.items.length).toBeLessThanOrEqual(2);
      for (const item of page.items) {
        expect(item.owner).toBe(owner);
        expect(item).not.toHaveProperty("key");
        seen.push(item.id);
      }
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(new Set(seen)).toEqual(ids);
    expect(seen).toHaveLength(5);
  });

  it("refuses a bad limit and a forged cursor with 400", async () => {
    expect((await expectProblem(await admin(gateway, "GET", "/keys?limit=0"), 400, "invalid_request")).detail).toContain("limit");
    expect((await expectProblem(await admin(gateway, "GET", "/keys?limit=1000"), 400, "invalid_request")).detail).toContain("limit");
    expect((await expectProblem(await admin(gateway, "GET", "/keys?cursor=!!!"), 400, "invalid_request")).detail).toContain("cursor");
  });
});

describe("PATCH /_gateway/admin/keys/:id", () => {
  it("changes the given fields and leaves the rest", async () => {
    const created = await createKey(gateway, { name: "before", scopes: ["read"], metadata: { a: 1 } });
    const updated = await json<KeyJson>(
      await admin(gateway, "PATCH", `/keys/${created.id}`, {
        name: "after",
        owner: "new-owner",
        quota: { limit: 5, period: "day" },
        expiresAt: "2099-06-01T00:00:00Z",
        rateLimits: [{ name: "second", limit: 5, window: 1 }],
        ipAllowlist: ["10.0.0.0/8"],
      }),
      200,
    );
    expect(updated).toMatchObject({
      id: created.id,
      name: "after",
      owner: "new-owner",
      scopes: ["read"],
      metadata: { a: 1 },
      quota: { limit: 5, period: "day" },
      expiresAt: "2099-06-01T00:00:00.000Z",
      rateLimits: [{ name: "second", limit: 5, window: 1 }],
      ipAllowlist: ["10.0.0.0/8"],
      start: created.start,
    });
    expect(Date.parse(updated.updatedAt)).toBeGreaterThanOrEqual(Date.parse(created.updatedAt));
    expect(await json(await admin(gateway, "GET", `/keys/${created.id}`), 200)).toEqual(updated);
  });

  it("clears owner, expiry and quota with null", async () => {
    const created = await createKey(gateway, { owner: "o", expiresAt: "2099-01-01T00:00:00Z", quota: { limit: 1, period: "total" } });
    const updated = await json<KeyJson>(await admin(gateway, "PATCH", `/keys/${created.id}`, { owner: null, expiresAt: null, quota: null }), 200);
    expect(updated).toMatchObject({ owner: null, expiresAt: null, quota: null });
  });

  it("refuses a prefix change, an empty body and bad values, naming each field", async () => {
    const created = await createKey(gateway);
    expect((await expectProblem(await admin(gateway, "PATCH", `/keys/${created.id}`, { prefix: "other" }), 400, "invalid_request")).detail).toContain("prefix");
    expect((await expectProblem(await admin(gateway, "PATCH", `/keys/${created.id}`, {}), 400, "invalid_request")).detail).toContain("at least one field");
    const problem = await expectProblem(
      await admin(gateway, "PATCH", `/keys/${created.id}`, { enabled: "no", scopes: "read", metadata: { x: "y".repeat(5000) } }),
      400,
      "invalid_request",
    );
    for (const field of ["enabled", "scopes", "metadata"]) expect(problem.detail).toContain(field);
  });

  it("answers 404 for an unknown id", async () => {
    await expectProblem(await admin(gateway, "PATCH", "/keys/key_nope", { name: "x" }), 404, "not_found");
  });

  it("disables and re-enables a key, effective on the next request", async () => {
    const created = await createKey(gateway);
    expect((await withKey(gateway, "/api/x", created.key)).status).toBe(200);
    await json(await admin(gateway, "PATCH", `/keys/${created.id}`, { enabled: false }), 200);
    await expectProblem(await withKey(gateway, "/api/x", created.key), 401, "disabled_key");
    await json(await admin(gateway, "PATCH", `/keys/${created.id}`, { enabled: true }), 200);
    expect((await withKey(gateway, "/api/x", created.key)).status).toBe(200);
  });

  it("expires a key by moving its expiry into the past", async () => {
    const created = await createKey(gateway);
    expect((await withKey(gateway, "/api/x", created.key)).status).toBe(200);
    await json(await admin(gateway, "PATCH", `/keys/${created.id}`, { expiresAt: new Date(Date.now() - 1000).toISOString() }), 200);
    await expectProblem(await withKey(gateway, "/api/x", created.key), 401, "expired_key");
  });
});

describe("DELETE /_gateway/admin/keys/:id", () => {
  it("revokes the key, keeps its row, and is harmless to repeat", async () => {
    const created = await createKey(gateway);
    expect((await admin(gateway, "DELETE", `/keys/${created.id}`)).status).toBe(204);
    await expectProblem(await withKey(gateway, "/api/x", created.key), 401, "revoked_key");
    const key = await json<KeyJson>(await admin(gateway, "GET", `/keys/${created.id}`), 200);
    expect(key.revokedAt).not.toBeNull();
    expect((await admin(gateway, "DELETE", `/keys/${created.id}`)).status).toBe(204);
    expect((await json<KeyJson>(await admin(gateway, "GET", `/keys/${created.id}`), 200)).revokedAt).toBe(key.revokedAt);
  });

  it("answers 404 for an unknown id", async () => {
    await expectProblem(await admin(gateway, "DELETE", "/keys/key_nope"), 404, "not_found");
  });
});

describe("POST /_gateway/admin/keys/:id/rotate", () => {
  it("issues a new secret for the same id; the old one stops at once by default", async () => {
    const created = await createKey(gateway, { prefix: "rot" });
    const rotated = await json<CreatedKeyJson>(await admin(gateway, "POST", `/keys/${created.id}/rotate`), 201);
    expect(rotated.id).toBe(created.id);
    expect(rotated.key).not.toBe(created.key);
    expect(rotated.key.startsWith("rot_")).toBe(true);
    expect(rotated.start).toBe(rotated.key.slice(0, 8));
    expect((await withKey(gateway, "/api/x", rotated.key)).status).toBe(200);
    await expectProblem(await withKey(gateway, "/api/x", created.key), 401, "expired_key");
  });

  it("keeps the old secret working through the grace period", async () => {
    const created = await createKey(gateway);
    const rotated = await json<CreatedKeyJson>(await admin(gateway, "POST", `/keys/${created.id}/rotate`, { gracePeriodSeconds: 3600 }), 201);
    expect((await withKey(gateway, "/api/x", created.key)).status).toBe(200);
    expect((await withKey(gateway, "/api/x", rotated.key)).status).toBe(200);
  });

  it("carries rate limits over: both secrets count against the same limit", async () => {
    const created = await createKey(gateway, { rateLimits: [{ name: "minute", limit: 2, window: 60 }] });
    expect((await withKey(gateway, "/api/x", created.key)).status).toBe(200);
    const rotated = await json<CreatedKeyJson>(await admin(gateway, "POST", `/keys/${created.id}/rotate`, { gracePeriodSeconds: 60 }), 201);
    expect((await withKey(gateway, "/api/x", rotated.key)).status).toBe(200);
    await expectProblem(await withKey(gateway, "/api/x", rotated.key), 429, "rate_limited");
  });

  it("refuses a grace period over 30 days, a revoked key and an unknown id", async () => {
    const created = await createKey(gateway);
    const tooLong = await expectProblem(await admin(gateway, "POST", `/keys/${created.id}/rotate`, { gracePeriodSeconds: 30 * 86400 + 1 }), 400, "invalid_request");
    expect(tooLong.detail).toContain("gracePeriodSeconds");
    await admin(gateway, "DELETE", `/keys/${created.id}`);
    await expectProblem(await admin(gateway, "POST", `/keys/${created.id}/rotate`), 400, "invalid_request");
    await expectProblem(await admin(gateway, "POST", "/keys/key_nope/rotate"), 404, "not_found");
  });
});
