import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { generateKey } from "../../src/keys/format";
import { admin, createIdentity, createKey, revokeKey } from "../support/admin";
import { call, expectProblem, gatewayEnv, json, recordingDataset, withKey } from "../support/gateway";

const routes = [{ path: "/api/*", upstream: env.UPSTREAM_URL }];
const usage = recordingDataset();
const gateway = gatewayEnv(routes, { USAGE: usage.dataset });

function introspectWith(token: string | undefined, body: string, contentType = "application/x-www-form-urlencoded"): Promise<Response> {
  const headers: Record<string, string> = { "content-type": contentType };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  return call(gateway, "/_gateway/introspect", { method: "POST", headers, body });
}

async function introspect(key: string): Promise<Record<string, unknown>> {
  return json(await introspectWith(env.ADMIN_TOKEN, new URLSearchParams({ token: key }).toString()), 200);
}

describe("POST /_gateway/introspect", () => {
  it("answers active with scope, exp, client_id, sub (the owner) and token_type for a live key", async () => {
    const expiresAt = new Date(Date.now() + 3_600_000);
    const created = await createKey(gateway, { owner: "acme", scopes: ["read", "write"], expiresAt: expiresAt.toISOString() });
    expect(await introspect(created.key)).toEqual({
      active: true,
      scope: "read write",
      exp: Math.floor(expiresAt.getTime() / 1000),
      client_id: created.id,
      sub: "acme",
      token_type: "api_key",
    });
  });

  it("names the identity's externalId as sub, and leaves exp out for a key that never expires", async () => {
    const identity = await createIdentity(gateway);
    const created = await createKey(gateway, { owner: "someone", identityId: identity.id });
    const answer = await introspect(created.key);
    expect(answer).toMatchObject({ active: true, sub: identity.externalId, client_id: created.id, scope: "" });
    expect(answer).not.toHaveProperty("exp");
  });

  it("answers only {active: false} for malformed, unknown, revoked, expired and disabled keys", async () => {
    const revoked = await createKey(gateway);
    expect((await revokeKey(gateway, revoked.id)).status).toBe(204);
    const expired = await createKey(gateway, { expiresAt: new Date(Date.now() - 1000).toISOString() });
    const disabled = await createKey(gateway, { enabled: false });
    for (const key of ["gk_live_not-a-key", generateKey("gk_live"), revoked.key, expired.key, disabled.key]) {
      expect(await introspect(key)).toEqual({ active: false });
    }
  });

  it("spends no rate limit or quota and writes no usage", async () => {
    const created = await createKey(gateway, {
      rateLimits: [{ name: "minute", limit: 5, window: 60 }],
      quota: { limit: 10, period: "day" },
    });
    expect((await withKey(gateway, "/api/x", created.key)).status).toBe(200);
    const before = await json(await admin(gateway, "GET", `/keys/${created.id}/limits`), 200);
    const points = usage.points.length;
    for (let i = 0; i < 3; i++) expect(await introspect(created.key)).toMatchObject({ active: true });
    const after = await json(await admin(gateway, "GET", `/keys/${created.id}/limits`), 200);
    expect(after.rateLimits[0].remaining).toBe(4);
    expect(after.rateLimits[0].remaining).toBe(before.rateLimits[0].remaining);
    expect(after.quota).toMatchObject({ used: 1, remaining: 9 });
    expect(usage.points.length).toBe(points);
  });

  it("needs an admin or operator token with keys:verify", async () => {
    const created = await createKey(gateway);
    const body = `token=${encodeURIComponent(created.key)}`;
    await expectProblem(await introspectWith(undefined, body), 401, "missing_key");
    await expectProblem(await introspectWith("not-the-token", body), 401, "invalid_token");
    const reader = await json(await admin(gateway, "POST", "/operators", { name: "reader", scopes: ["keys:read"] }), 201);
    await expectProblem(await introspectWith(reader.token, body), 403, "insufficient_scope");
    const service = await json(await admin(gateway, "POST", "/operators", { name: "service", scopes: ["keys:verify"] }), 201);
    expect(await json(await introspectWith(service.token, body), 200)).toMatchObject({ active: true, client_id: created.id });
  });

  it("takes only a form body with a token: JSON is 415, a form without token 400", async () => {
    const created = await createKey(gateway);
    const refused = await expectProblem(
      await introspectWith(env.ADMIN_TOKEN, JSON.stringify({ token: created.key }), "application/json"),
      415,
      "unsupported_media_type",
    );
    expect(refused.detail).toContain("application/x-www-form-urlencoded");
    const missing = await expectProblem(await introspectWith(env.ADMIN_TOKEN, "token_type_hint=access_token"), 400, "invalid_request");
    expect(missing.detail).toContain("token");
    expect(await json(await introspectWith(env.ADMIN_TOKEN, `token=${created.key}&token_type_hint=access_token`), 200)).toMatchObject({
      active: true,
    });
  });
});
