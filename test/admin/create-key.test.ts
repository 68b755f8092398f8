import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { admin, type CreatedKeyJson, createKey } from "../support/admin";
import { expectProblem, gatewayEnv, json, withKey } from "../support/gateway";

const gateway = gatewayEnv([{ path: "/api/*", upstream: env.UPSTREAM_URL }]);

describe("POST /_gateway/admin/keys", () => {
  it("creates a key with every field and shows the plaintext once", async () => {
    const body = {
      name: "Acme production",
      owner: "acme",
      prefix: "acme_live",
      scopes: ["read", "write"],
      expiresAt: "2099-01-01T00:00:00Z",
      rateLimits: [{ name: "minute", limit: 100, window: 60 }],
      quota: { limit: 1000, period: "month" },
      ipAllowlist: ["203.0.113.0/24", "2001:db8::/32"],
      metadata: { plan: "pro" },
      enabled: true,
    };
    const created = await json<CreatedKeyJson>(await admin(gateway, "POST", "/keys", body), 201);
    expect(created.key).toMatch(/^acme_live_[0-9A-Za-z]{38}$/);
    expect(created.start).toBe(created.key.slice(0, "acme_live_".length + 4));
    const { prefix: _prefix, ...shown } = body;
    expect(created).toMatchObject({ ...shown, expiresAt: "2099-01-01T00:00:00.000Z", revokedAt: null, lastUsedAt: null });
    expect(created).not.toHaveProperty("prefix");
    expect(created).not.toHaveProperty("hash");

    const fetched = await json(await admin(gateway, "GET", `/keys/${created.id}`), 200);
    expect(fetched).not.toHaveProperty("key");
  });

  it("creates a key that authenticates on the next request", async () => {
    const created = await createKey(gateway);
    expect((await withKey(gateway, "/api/x", created.key)).status).toBe(200);
  });

  it("refuses a body with several bad fields, naming each", async () => {
    const problem = await expectProblem(
      await admin(gateway, "POST", "/keys", {
        name: "",
        prefix: "Bad-Prefix",
        ipAllowlist: ["300.1.1.1"],
        rateLimits: [{ name: "m", limit: 0, window: 60 }],
        quota: { limit: 10, period: "week" },
        expiresAt: "tomorrow",
        extra: 1,
      }),
      400,
      "invalid_request",
    );
    for (const field of ["name", "prefix", "ipAllowlist[0]", "rateLimits[0].limit", "quota.period", "expiresAt", "extra"]) {
      expect(problem.detail).toContain(field);
    }
  });

  it("refuses metadata over 4 KiB", async () => {
    const problem = await expectProblem(
      await admin(gateway, "POST", "/keys", { name: "big", metadata: { blob: "x".repeat(4100) } }),
      400,
      "invalid_request",
    );
    expect(problem.detail).toContain("metadata");
    expect((await admin(gateway, "POST", "/keys", { name: "fits", metadata: { blob: "x".repeat(4000) } })).status).toBe(201);
  });

  it("refuses a body that is not JSON", async () => {
    const response = await admin(gateway, "POST", "/keys");
    expect(response.status).toBe(400);
  });
});
