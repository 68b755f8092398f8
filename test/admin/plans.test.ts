import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { PlanObject } from "../../src/admin/plan-object";
import { admin, createIdentity, createKey, type IdentityJson } from "../support/admin";
import { call, expectProblem, gatewayEnv, json, withKey } from "../support/gateway";

const gateway = gatewayEnv([{ path: "/api/*", upstream: env.UPSTREAM_URL }]);

async function createPlan(body: Record<string, unknown> = {}): Promise<PlanObject> {
  return json<PlanObject>(await admin(gateway, "POST", "/plans", { name: `plan ${crypto.randomUUID()}`, ...body }), 201);
}

/** Statuses of `n` proxied requests with the key, one after another. */
async function statuses(key: string, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await withKey(gateway, "/api/x", key)).status);
  return out;
}

describe("the plans admin API", () => {
  it("creates, reads, lists, updates and deletes a plan", async () => {
    const name = `Pro ${crypto.randomUUID()}`;
    const created = await createPlan({
      name,
      rateLimits: [{ name: "second", limit: 10, window: 1 }],
      quota: { limit: 1000, period: "month" },
      allowedScopes: ["read"],
      maxKeys: 3,
    });
    expect(created).toMatchObject({
      name,
      rateLimits: [{ name: "second", limit: 10, window: 1 }],
      quota: { limit: 1000, period: "month" },
      allowedScopes: ["read"],
      maxKeys: 3,
    });
    expect(created.id).toMatch(/^pln_/);
    expect(await json<PlanObject>(await admin(gateway, "GET", `/plans/${created.id}`), 200)).toEqual(created);

    const bare = await createPlan();
    expect(bare).toMatchObject({ rateLimits: [], quota: null, allowedScopes: null, maxKeys: null });

    const listed: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: PlanObject[]; nextCursor: string | null } = await json(
        await admin(gateway, "GET", `/plans?limit=2${cursor ? `&cursor=${cursor}` : ""}`),
        200,
      );
      listed.push(...page.items.map((p) => p.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(listed).toEqual(expect.arrayContaining([created.id, bare.id]));

    const updated = await json<PlanObject>(
      await admin(gateway, "PATCH", `/plans/${created.id}`, { quota: null, maxKeys: null, allowedScopes: null }),
      200,
    );
    expect(updated).toMatchObject({ name, quota: null, maxKeys: null, allowedScopes: null });

    expect((await admin(gateway, "DELETE", `/plans/${created.id}`)).status).toBe(204);
    await expectProblem(await admin(gateway, "GET", `/plans/${created.id}`), 404, "not_found");
  });

  it("answers 409 conflict on a duplicate name, on create and on update", async () => {
    const first = await createPlan();
    const second = await createPlan();
    const dup = await expectProblem(await admin(gateway, "POST", "/plans", { name: first.name }), 409, "conflict");
    expect(dup.detail).toContain(first.name);
    await expectProblem(await admin(gateway, "PATCH", `/plans/${second.id}`, { name: first.name }), 409, "conflict");
  });

  it("answers 404 not_found for an unknown id, and 400 invalid_request naming each bad field", async () => {
    for (const [method, path, body] of [
      ["GET", "/plans/pln_nope", undefined],
      ["PATCH", "/plans/pln_nope", { name: "x" }],
      ["DELETE", "/plans/pln_nope", undefined],
    ] as const)
      await expectProblem(await admin(gateway, method, path, body), 404, "not_found");
    const bad = await expectProblem(
      await admin(gateway, "POST", "/plans", { name: "", maxKeys: -1, rateLimits: [{ name: "m", limit: 0, window: 60 }], extra: 1 }),
      400,
      "invalid_request",
    );
    for (const field of ["name", "maxKeys", "rateLimits"]) expect(bad.detail).toContain(field);
    const { id } = await createPlan();
    await expectProblem(await admin(gateway, "PATCH", `/plans/${id}`, {}), 400, "invalid_request");
  });

  it("refuses to delete a plan identities are on (409, saying how many), and deletes it once they leave", async () => {
    const plan = await createPlan();
    const a = await createIdentity(gateway, { planId: plan.id });
    const b = await createIdentity(gateway, { planId: plan.id });
    const refused = await expectProblem(await admin(gateway, "DELETE", `/plans/${plan.id}`), 409, "conflict");
    expect(refused.detail).toContain("2 identities");
    await json(await admin(gateway, "PATCH", `/identities/${a.id}`, { planId: null }), 200);
    await json(await admin(gateway, "PATCH", `/identities/${b.id}`, { planId: null }), 200);
    expect((await admin(gateway, "DELETE", `/plans/${plan.id}`)).status).toBe(204);
  });

  it("reads with keys:read and writes with keys:write", async () => {
    const reader = await json<{ token: string }>(
      await admin(gateway, "POST", "/operators", { name: "plan reader", scopes: ["keys:read"] }),
      201,
    );
    const plan = await createPlan();
    const as = (method: string, path: string, body?: unknown) => fetchAs(reader.token, method, path, body);
    expect((await as("GET", `/plans/${plan.id}`)).status).toBe(200);
    expect((await as("GET", "/plans")).status).toBe(200);
    await expectProblem(await as("POST", "/plans", { name: "nope" }), 403, "insufficient_scope");
    await expectProblem(await as("PATCH", `/plans/${plan.id}`, { name: "nope" }), 403, "insufficient_scope");
    await expectProblem(await as("DELETE", `/plans/${plan.id}`), 403, "insufficient_scope");
  });

  it("audits every write to a plan, and an identity's move to it as an identity update", async () => {
    const plan = await createPlan();
    await admin(gateway, "PATCH", `/plans/${plan.id}`, { maxKeys: 9 });
    const identity = await createIdentity(gateway);
    await admin(gateway, "PATCH", `/identities/${identity.id}`, { planId: plan.id });
    await admin(gateway, "PATCH", `/identities/${identity.id}`, { planId: null });
    await admin(gateway, "DELETE", `/plans/${plan.id}`);
    const audit = await json<{ items: { action: string; changes: Record<string, unknown> }[] }>(
      await admin(gateway, "GET", "/audit?limit=100"),
      200,
    );
    const mine = audit.items.filter((e) => e.changes.planId === plan.id || e.changes.identityId === identity.id);
    expect(mine.map((e) => [e.action, e.changes.planId ?? null])).toEqual([
      ["plan.delete", plan.id],
      ["identity.update", null],
      ["identity.update", plan.id],
      ["identity.create", null],
      ["plan.update", plan.id],
      ["plan.create", plan.id],
    ]);
  });
});

describe("identities on a plan", () => {
  it("carry planId on create and update, shown in the identity; null clears it", async () => {
    const plan = await createPlan();
    const other = await createPlan();
    const identity = await createIdentity(gateway, { planId: plan.id });
    expect(identity.planId).toBe(plan.id);
    expect((await json<IdentityJson>(await admin(gateway, "GET", `/identities/${identity.id}`), 200)).planId).toBe(plan.id);
    const moved = await json<IdentityJson>(await admin(gateway, "PATCH", `/identities/${identity.id}`, { planId: other.id }), 200);
    expect(moved.planId).toBe(other.id);
    const cleared = await json<IdentityJson>(await admin(gateway, "PATCH", `/identities/${identity.id}`, { planId: null }), 200);
    expect(cleared.planId).toBeNull();
    expect((await createIdentity(gateway)).planId).toBeNull();
  });

  it("refuses an unknown planId with 400 invalid_request naming the field, on create and update", async () => {
    const create = await expectProblem(
      await admin(gateway, "POST", "/identities", { externalId: crypto.randomUUID(), planId: "pln_nope" }),
      400,
      "invalid_request",
    );
    expect(create.detail).toContain("planId");
    const identity = await createIdentity(gateway);
    const update = await expectProblem(
      await admin(gateway, "PATCH", `/identities/${identity.id}`, { planId: "pln_nope" }),
      400,
      "invalid_request",
    );
    expect(update.detail).toContain("planId");
  });

  it("count their keys against the plan's rate limits, shared by the identity's keys", async () => {
    const plan = await createPlan({ rateLimits: [{ name: "minute", limit: 3, window: 60 }] });
    const identity = await createIdentity(gateway, { planId: plan.id });
    const one = await createKey(gateway, { identityId: identity.id });
    const two = await createKey(gateway, { identityId: identity.id });
    expect([...(await statuses(one.key, 2)), ...(await statuses(two.key, 2))]).toEqual([200, 200, 200, 429]);
    // Another identity on the same plan has limits of its own.
    const neighbour = await createKey(gateway, { identityId: (await createIdentity(gateway, { planId: plan.id })).id });
    expect(await statuses(neighbour.key, 1)).toEqual([200]);
  });

  it("take the identity's own rate limits over the plan's, and the plan's quota where it sets none", async () => {
    const plan = await createPlan({ rateLimits: [{ name: "minute", limit: 1, window: 60 }], quota: { limit: 3, period: "day" } });
    const identity = await createIdentity(gateway, { planId: plan.id, rateLimits: [{ name: "minute", limit: 100, window: 60 }] });
    const key = await createKey(gateway, { identityId: identity.id });
    const seen = await statuses(key.key, 4);
    expect(seen).toEqual([200, 200, 200, 429]);
    await expectProblem(await withKey(gateway, "/api/x", key.key), 429, "quota_exceeded");
  });

  it("apply a plan's new limits, and a move to another plan, from the next request", async () => {
    const tight = await createPlan({ rateLimits: [{ name: "minute", limit: 1, window: 60 }] });
    const loose = await createPlan({ rateLimits: [{ name: "minute", limit: 100, window: 60 }] });
    const identity = await createIdentity(gateway, { planId: tight.id });
    const key = await createKey(gateway, { identityId: identity.id });
    expect(await statuses(key.key, 2)).toEqual([200, 429]);
    await json(await admin(gateway, "PATCH", `/identities/${identity.id}`, { planId: loose.id }), 200);
    expect(await statuses(key.key, 2)).toEqual([200, 200]);
    await json(await admin(gateway, "PATCH", `/plans/${loose.id}`, { rateLimits: [{ name: "hour", limit: 1, window: 3600 }] }), 200);
    expect(await statuses(key.key, 2)).toEqual([200, 429]);
  });
});

/** An admin call with an operator token. */
function fetchAs(token: string, method: string, path: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (body !== undefined) headers["content-type"] = "application/json";
  return call(gateway, `/_gateway/admin${path}`, { method, headers, ...(body !== undefined && { body: JSON.stringify(body) }) });
}
