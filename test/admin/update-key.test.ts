import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { admin, createKey, type KeyJson } from "../support/admin";
import { expectProblem, gatewayEnv, json, withKey } from "../support/gateway";

const gateway = gatewayEnv([{ path: "/api/*", upstream: env.UPSTREAM_URL }]);

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
    const updated = await json<KeyJson>(
      await admin(gateway, "PATCH", `/keys/${created.id}`, { owner: null, expiresAt: null, quota: null }),
      200,
    );
    expect(updated).toMatchObject({ owner: null, expiresAt: null, quota: null });
  });

  it("refuses a prefix change, an empty body and bad values, naming each field", async () => {
    const created = await createKey(gateway);
    expect(
      (await expectProblem(await admin(gateway, "PATCH", `/keys/${created.id}`, { prefix: "other" }), 400, "invalid_request")).detail,
    ).toContain("prefix");
    expect((await expectProblem(await admin(gateway, "PATCH", `/keys/${created.id}`, {}), 400, "invalid_request")).detail).toContain(
      "at least one field",
    );
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
