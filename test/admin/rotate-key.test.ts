import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { admin, type CreatedKeyJson, createKey } from "../support/admin";
import { expectProblem, gatewayEnv, json, withKey } from "../support/gateway";

const gateway = gatewayEnv([{ path: "/api/*", upstream: env.UPSTREAM_URL }]);

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
    const rotated = await json<CreatedKeyJson>(
      await admin(gateway, "POST", `/keys/${created.id}/rotate`, { gracePeriodSeconds: 3600 }),
      201,
    );
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

  it("refuses a grace period over 30 days (400), a revoked key (409 conflict) and an unknown id (404)", async () => {
    const created = await createKey(gateway);
    const tooLong = await expectProblem(
      await admin(gateway, "POST", `/keys/${created.id}/rotate`, { gracePeriodSeconds: 30 * 86400 + 1 }),
      400,
      "invalid_request",
    );
    expect(tooLong.detail).toContain("gracePeriodSeconds");
    await admin(gateway, "DELETE", `/keys/${created.id}`);
    await expectProblem(await admin(gateway, "POST", `/keys/${created.id}/rotate`), 409, "conflict");
    await expectProblem(await admin(gateway, "POST", "/keys/key_nope/rotate"), 404, "not_found");
  });
});
