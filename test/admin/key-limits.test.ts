import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { admin, createKey, revokeKey } from "../support/admin";
import { expectProblem, gatewayEnv, json, withKey } from "../support/gateway";

const gateway = gatewayEnv([{ path: "/api/*", upstream: env.UPSTREAM_URL }], { LEASE_TTL_MS: "0" });

describe("GET /_gateway/admin/keys/{id}/limits", () => {
  it("shows each of the key's limits and its quota with what is left, spending nothing", async () => {
    const key = await createKey(gateway, { rateLimits: [{ name: "minute", limit: 5, window: 60 }], quota: { limit: 10, period: "month" } });
    for (let i = 0; i < 2; i++) expect((await withKey(gateway, "/api/x", key.key)).status).toBe(200);
    const first = await json(await admin(gateway, "GET", `/keys/${key.id}/limits`), 200);
    expect(first).toMatchObject({
      state: "allowed",
      rateLimits: [{ name: "minute", limit: 5, window: 60, remaining: 3 }],
      quota: { limit: 10, period: "month", used: 2, remaining: 8 },
    });
    // Spending nothing: the counts stay; `reset` may move on by a second between the two reads.
    expect(await json(await admin(gateway, "GET", `/keys/${key.id}/limits`), 200)).toMatchObject({
      rateLimits: [{ remaining: 3 }],
      quota: { used: 2, remaining: 8 },
    });
  });

  it("says why a revoked key's requests are refused", async () => {
    const key = await createKey(gateway, { rateLimits: [{ name: "minute", limit: 5, window: 60 }] });
    expect((await revokeKey(gateway, key.id)).status).toBe(204);
    expect(await json(await admin(gateway, "GET", `/keys/${key.id}/limits`), 200)).toMatchObject({ state: "revoked_key", rateLimits: [] });
  });

  it("answers 404 for an unknown key", async () => {
    await expectProblem(await admin(gateway, "GET", "/keys/key_doesnotexist0000000000/limits"), 404, "not_found");
  });
});
