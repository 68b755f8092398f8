// The portal's JSON API through the worker, signed in at the real local OpenID provider: a customer
// manages their own keys within their plan, and another customer's ids are answered as unknown.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { admin, type CreatedKeyJson, type KeyJson } from "../support/admin";
import { call, expectProblem, gatewayEnv, json, withKey } from "../support/gateway";
import { newCustomerEmail, signIn } from "../support/oidc";

const gateway = gatewayEnv([{ path: "/api/*", upstream: env.UPSTREAM_URL }]);
const ORIGIN = "https://gw.test";

/** A signed-in customer: their session cookie and calls of the portal API with it (writes from the portal's origin). */
async function customer(email = newCustomerEmail()) {
  const cookie = await signIn((path, init) => call(gateway, path, init), email);
  const api = (method: string, path: string, body?: unknown) =>
    call(gateway, `/_gateway/portal/api${path}`, {
      method,
      headers: { cookie, origin: ORIGIN, ...(body !== undefined && { "content-type": "application/json" }) },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
  const me = await json<{ identityId: string }>(await api("GET", "/me"), 200);
  return { email, cookie, api, identityId: me.identityId };
}

type Customer = Awaited<ReturnType<typeof customer>>;

async function createKey(who: Customer, body: Record<string, unknown> = {}): Promise<CreatedKeyJson> {
  return json<CreatedKeyJson>(await who.api("POST", "/keys", { name: "my key", ...body }), 201);
}

/** A plan written as the plans' admin API would, and the customer put on it. */
async function onPlan(who: Customer, plan: { maxKeys?: number; allowedScopes?: string[]; rateLimits?: unknown[] }): Promise<string> {
  const id = `pln_${crypto.randomUUID().replaceAll("-", "")}`;
  const now = Date.now();
  await env.DB.prepare(
    "INSERT INTO plans (id, name, rate_limits, quota, allowed_scopes, max_keys, created_at, updated_at) VALUES (?, ?, ?, NULL, ?, ?, ?, ?)",
  )
    .bind(
      id,
      `plan-${id}`,
      JSON.stringify(plan.rateLimits ?? []),
      plan.allowedScopes ? JSON.stringify(plan.allowedScopes) : null,
      plan.maxKeys ?? null,
      now,
      now,
    )
    .run();
  await env.DB.prepare("UPDATE identities SET plan_id = ?, version = version + 1 WHERE id = ?").bind(id, who.identityId).run();
  return id;
}

describe("portal API", () => {
  it("refuses every route without a session: 401 session_required", async () => {
    for (const [method, path] of [
      ["GET", "/me"],
      ["GET", "/keys"],
      ["GET", "/keys/key_x"],
      ["POST", "/keys"],
      ["POST", "/keys/key_x/roll"],
      ["DELETE", "/keys/key_x"],
      ["GET", "/usage"],
    ] as const) {
      const response = await call(gateway, `/_gateway/portal/api${path}`, { method, headers: { origin: ORIGIN } });
      await expectProblem(response, 401, "session_required");
    }
  });

  it("shows the customer, their plan and what is left of its limits", async () => {
    const alice = await customer();
    const me = await json(await alice.api("GET", "/me"), 200);
    expect(me).toMatchObject({ identityId: alice.identityId, email: alice.email, plan: null, ratelimits: [], quota: null });
    const planId = await onPlan(alice, { maxKeys: 3, allowedScopes: ["read"], rateLimits: [{ name: "minute", limit: 9, window: 60 }] });
    // The identity's own limit, which replaces its plan's, as the admin API sets it.
    await json(
      await admin(gateway, "PATCH", `/identities/${alice.identityId}`, { rateLimits: [{ name: "minute", limit: 5, window: 60 }] }),
      200,
    );
    const created = await createKey(alice, { scopes: ["read"] });
    expect((await withKey(gateway, "/api/x", created.key)).status).toBe(200);
    const after = await json(await alice.api("GET", "/me"), 200);
    expect(after.plan).toMatchObject({
      id: planId,
      maxKeys: 3,
      allowedScopes: ["read"],
      rateLimits: [{ name: "minute", limit: 9, window: 60 }],
    });
    expect(after.ratelimits).toEqual([{ name: "minute", limit: 5, window: 60, remaining: 4, reset: expect.any(Number) }]);
  });

  it("creates a key of the customer's identity that works on the proxy at once, audited as the customer", async () => {
    const alice = await customer();
    const created = await createKey(alice, { name: "production", scopes: ["read"] });
    expect(created).toMatchObject({ name: "production", identityId: alice.identityId, scopes: ["read"], revokedAt: null });
    expect(created.key).toMatch(/^gk_live_[A-Za-z0-9]{38}$/);
    expect(created.owner).toMatch(/^user_[0-9a-f]{24}$/); // the provider's sub
    const echoed = await json<{ headers: Record<string, string> }>(await withKey(gateway, "/api/hello", created.key), 200);
    expect(echoed.headers["x-gateway-key-owner"]).toBe(created.owner);

    const listed = await json<{ items: KeyJson[] }>(await alice.api("GET", "/keys"), 200);
    expect(listed.items.map((key) => key.id)).toEqual([created.id]);
    expect(JSON.stringify(listed)).not.toContain(created.key);
    expect((await json<KeyJson>(await alice.api("GET", `/keys/${created.id}`), 200)).start).toBe(created.start);

    const audit = await json<{ items: { action: string; actor: string }[] }>(
      await admin(gateway, "GET", `/audit?keyId=${created.id}`),
      200,
    );
    expect(audit.items).toEqual([expect.objectContaining({ action: "key.create", actor: `customer:${alice.identityId}` })]);
  });

  it("rolls a key: the old secret ends when chosen, the new one works, limits and id carry over", async () => {
    const alice = await customer();
    const created = await createKey(alice);
    const rolled = await json<CreatedKeyJson>(await alice.api("POST", `/keys/${created.id}/roll`, { expiresInSeconds: 0 }), 201);
    expect(rolled.id).toBe(created.id);
    expect(rolled.key).not.toBe(created.key);
    await expectProblem(await withKey(gateway, "/api/x", created.key), 401, "expired_key");
    expect((await withKey(gateway, "/api/x", rolled.key)).status).toBe(200);

    const graceful = await json<CreatedKeyJson>(await alice.api("POST", `/keys/${created.id}/roll`, { expiresInSeconds: 3600 }), 201);
    expect((await withKey(gateway, "/api/x", rolled.key)).status).toBe(200);
    expect((await withKey(gateway, "/api/x", graceful.key)).status).toBe(200);

    await expectProblem(await alice.api("POST", `/keys/${created.id}/roll`, { expiresInSeconds: 31 * 86400 }), 400, "invalid_request");
    await expectProblem(await alice.api("POST", `/keys/${created.id}/roll`, {}), 400, "invalid_request");
    const audit = await json<{ items: { action: string; actor: string }[] }>(
      await admin(gateway, "GET", `/audit?keyId=${created.id}`),
      200,
    );
    expect(audit.items.filter((entry) => entry.action === "key.rotate").map((entry) => entry.actor)).toEqual([
      `customer:${alice.identityId}`,
      `customer:${alice.identityId}`,
    ]);
  });

  it("revokes a key: refused on the proxy from the next request, then 409 to roll", async () => {
    const alice = await customer();
    const created = await createKey(alice);
    expect((await withKey(gateway, "/api/x", created.key)).status).toBe(200);
    expect((await alice.api("DELETE", `/keys/${created.id}`)).status).toBe(204);
    await expectProblem(await withKey(gateway, "/api/x", created.key), 401, "revoked_key");
    expect((await json<KeyJson>(await alice.api("GET", `/keys/${created.id}`), 200)).revokedAt).not.toBeNull();
    await expectProblem(await alice.api("POST", `/keys/${created.id}/roll`, { expiresInSeconds: 0 }), 409, "conflict");
  });

  it("answers every route with another customer's key id as unknown, and changes nothing", async () => {
    const [alice, mallory] = await Promise.all([customer(), customer()]);
    const created = await createKey(alice);
    expect((await withKey(gateway, "/api/x", created.key)).status).toBe(200);
    const before = await json<KeyJson>(await admin(gateway, "GET", `/keys/${created.id}`), 200);

    await expectProblem(await mallory.api("GET", `/keys/${created.id}`), 404, "not_found");
    await expectProblem(await mallory.api("POST", `/keys/${created.id}/roll`, { expiresInSeconds: 0 }), 404, "not_found");
    await expectProblem(await mallory.api("DELETE", `/keys/${created.id}`), 404, "not_found");
    await expectProblem(await mallory.api("GET", `/usage?keyId=${created.id}`), 404, "not_found");
    expect((await json<{ items: KeyJson[] }>(await mallory.api("GET", "/keys"), 200)).items).toEqual([]);
    // Unknown ids answer the same.
    await expectProblem(await mallory.api("GET", "/keys/key_doesnotexist"), 404, "not_found");

    expect(await json<KeyJson>(await admin(gateway, "GET", `/keys/${created.id}`), 200)).toEqual(before);
    expect((await withKey(gateway, "/api/x", created.key)).status).toBe(200);
    const audit = await json<{ items: { action: string }[] }>(
      await admin(gateway, "GET", `/audit?actor=customer:${mallory.identityId}`),
      200,
    );
    expect(audit.items.map((entry) => entry.action)).toEqual(["identity.create"]);
  });

  it("holds the plan's maxKeys: one more live key is 409 conflict, a revoked one frees its place", async () => {
    const alice = await customer();
    await onPlan(alice, { maxKeys: 2 });
    const first = await createKey(alice);
    await createKey(alice);
    await expectProblem(await alice.api("POST", "/keys", { name: "third" }), 409, "conflict");
    expect((await json<{ items: KeyJson[] }>(await alice.api("GET", "/keys"), 200)).items).toHaveLength(2);
    expect((await alice.api("DELETE", `/keys/${first.id}`)).status).toBe(204);
    await createKey(alice, { name: "third" });
  });

  it("holds the plan's allowedScopes: a scope outside them is 403 insufficient_scope and creates nothing", async () => {
    const alice = await customer();
    await onPlan(alice, { allowedScopes: ["read", "write"] });
    const problem = await expectProblem(
      await alice.api("POST", "/keys", { name: "admin key", scopes: ["read", "admin"] }),
      403,
      "insufficient_scope",
    );
    expect(problem.detail).toContain("admin");
    expect((await json<{ items: KeyJson[] }>(await alice.api("GET", "/keys"), 200)).items).toEqual([]);
    expect((await createKey(alice, { scopes: ["read", "write"] })).scopes).toEqual(["read", "write"]);
  });

  it("refuses bad bodies with 400 naming the field, and fields a customer may not set", async () => {
    const alice = await customer();
    expect((await expectProblem(await alice.api("POST", "/keys", { name: "" }), 400, "invalid_request")).detail).toContain("name");
    await expectProblem(await alice.api("POST", "/keys", { name: "x", identityId: "idt_other" }), 400, "invalid_request");
    await expectProblem(await alice.api("POST", "/keys", { name: "x", rateLimits: [] }), 400, "invalid_request");
    await expectProblem(await alice.api("POST", "/keys", { name: "x", expiresAt: "2001-01-01T00:00:00Z" }), 400, "invalid_request");
    expect((await json<{ items: KeyJson[] }>(await alice.api("GET", "/keys"), 200)).items).toEqual([]);
  });

  it("refuses a write without the portal's own Origin", async () => {
    const alice = await customer();
    const response = await call(gateway, "/_gateway/portal/api/keys", {
      method: "POST",
      headers: { cookie: alice.cookie, origin: "https://evil.test", "content-type": "application/json" },
      body: JSON.stringify({ name: "x" }),
    });
    await expectProblem(response, 403, "cross_site_request");
    const write = (headers: Record<string, string>) =>
      call(gateway, "/_gateway/portal/api/keys", {
        method: "POST",
        headers: { cookie: alice.cookie, "content-type": "application/json", ...headers },
        body: JSON.stringify({ name: "x" }),
      });
    await expectProblem(await write({}), 403, "cross_site_request");
    await expectProblem(await write({ "sec-fetch-site": "cross-site" }), 403, "cross_site_request");
    await expectProblem(await write({ "sec-fetch-site": "same-site" }), 403, "cross_site_request");
    await expectProblem(await write({ origin: "https://evil.test", "sec-fetch-site": "same-origin" }), 403, "cross_site_request");
    expect((await json<{ items: KeyJson[] }>(await alice.api("GET", "/keys"), 200)).items).toEqual([]);
    // What Chromium sends with its page's own fetch() POST: no Origin, Sec-Fetch-Site: same-origin.
    expect((await write({ "sec-fetch-site": "same-origin" })).status).toBe(201);
  });

  it("reports usage of all the customer's keys and of one", async () => {
    const alice = await customer();
    const [one, two] = [await createKey(alice), await createKey(alice)];
    for (let i = 0; i < 3; i++) expect((await withKey(gateway, "/api/x", one.key)).status).toBe(200);
    expect((await withKey(gateway, "/api/x", two.key)).status).toBe(200);
    const sum = (buckets: { allowed: number }[]) => buckets.reduce((total, bucket) => total + bucket.allowed, 0);
    const all = await json<{ buckets: { start: string; allowed: number }[] }>(await alice.api("GET", "/usage"), 200);
    expect(all.buckets.length).toBeGreaterThanOrEqual(24);
    expect(sum(all.buckets)).toBe(4);
    expect(sum((await json(await alice.api("GET", `/usage?keyId=${one.id}`), 200)).buckets)).toBe(3);
    expect((await json(await alice.api("GET", "/usage?granularity=day"), 200)).buckets.length).toBeGreaterThanOrEqual(30);
    await expectProblem(await alice.api("GET", "/usage?granularity=week"), 400, "invalid_request");
  });
});
