import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { admin, createIdentity, createKey, type IdentityJson, type KeyJson, revokeKey } from "../support/admin";
import { expectProblem, gatewayEnv, json } from "../support/gateway";

const gateway = gatewayEnv([{ path: "/api/*", upstream: env.UPSTREAM_URL }]);

describe("the identities admin API", () => {
  it("creates, reads, lists by externalId, updates and deletes an identity", async () => {
    const externalId = `customer_${crypto.randomUUID()}`;
    const created = await createIdentity(gateway, {
      externalId,
      name: "Acme",
      metadata: { plan: "pro" },
      rateLimits: [{ name: "minute", limit: 100, window: 60 }],
      quota: { limit: 1000, period: "month" },
    });
    expect(created).toMatchObject({
      externalId,
      name: "Acme",
      metadata: { plan: "pro" },
      enabled: true,
      rateLimits: [{ name: "minute", limit: 100, window: 60 }],
      quota: { limit: 1000, period: "month" },
    });
    expect(created.id).toMatch(/^idt_/);
    expect(Date.parse(created.createdAt)).toBeGreaterThan(0);

    expect(await json<IdentityJson>(await admin(gateway, "GET", `/identities/${created.id}`), 200)).toEqual(created);
    const page = await json<{ items: IdentityJson[] }>(await admin(gateway, "GET", `/identities?externalId=${externalId}`), 200);
    expect(page.items.map((i) => i.id)).toEqual([created.id]);

    const updated = await json<IdentityJson>(
      await admin(gateway, "PATCH", `/identities/${created.id}`, { name: null, enabled: false, quota: null }),
      200,
    );
    expect(updated).toMatchObject({ name: null, enabled: false, quota: null, externalId });

    expect((await admin(gateway, "DELETE", `/identities/${created.id}`)).status).toBe(204);
    await expectProblem(await admin(gateway, "GET", `/identities/${created.id}`), 404, "not_found");
  });

  it("answers 409 conflict on a duplicate externalId, on create and on update, naming the identity that has it", async () => {
    const first = await createIdentity(gateway);
    const second = await createIdentity(gateway);
    const created = await expectProblem(await admin(gateway, "POST", "/identities", { externalId: first.externalId }), 409, "conflict");
    const updated = await expectProblem(
      await admin(gateway, "PATCH", `/identities/${second.id}`, { externalId: first.externalId }),
      409,
      "conflict",
    );
    for (const problem of [created, updated])
      expect(problem.detail).toBe(`The externalId ${JSON.stringify(first.externalId)} is taken: identity ${first.id} has it.`);
  });

  it("answers 404 not_found for an unknown id on every call", async () => {
    for (const [method, path, body] of [
      ["GET", "/identities/idt_nope", undefined],
      ["PATCH", "/identities/idt_nope", { name: "x" }],
      ["DELETE", "/identities/idt_nope", undefined],
      ["GET", "/identities/idt_nope/usage", undefined],
    ] as const)
      await expectProblem(await admin(gateway, method, path, body), 404, "not_found");
  });

  it("answers 400 invalid_request naming each bad field", async () => {
    const bad = await expectProblem(
      await admin(gateway, "POST", "/identities", { externalId: "", rateLimits: [{ name: "m", limit: -1, window: 60 }], extra: 1 }),
      400,
      "invalid_request",
    );
    expect(bad.detail).toContain("externalId");
    expect(bad.detail).toContain("rateLimits");
    const { id } = await createIdentity(gateway);
    await expectProblem(await admin(gateway, "PATCH", `/identities/${id}`, {}), 400, "invalid_request");
    await expectProblem(await admin(gateway, "POST", "/identities", { name: "no external id" }), 400, "invalid_request");
  });

  it("refuses to delete an identity a live key belongs to (409), and deletes it once the key is revoked", async () => {
    const identity = await createIdentity(gateway);
    const key = await createKey(gateway, { identityId: identity.id });
    await expectProblem(await admin(gateway, "DELETE", `/identities/${identity.id}`), 409, "conflict");
    expect((await revokeKey(gateway, key.id)).status).toBe(204);
    expect((await admin(gateway, "DELETE", `/identities/${identity.id}`)).status).toBe(204);
    expect((await json<KeyJson>(await admin(gateway, "GET", `/keys/${key.id}`), 200)).identityId).toBeNull();
  });

  it("audits every write to an identity, and keys put into it, under ?identityId=", async () => {
    const identity = await createIdentity(gateway);
    await admin(gateway, "PATCH", `/identities/${identity.id}`, { name: "renamed" });
    const key = await createKey(gateway, { identityId: identity.id });
    await admin(gateway, "PATCH", `/keys/${key.id}`, { identityId: null });
    await admin(gateway, "DELETE", `/identities/${identity.id}`);
    const audit = await json<{ items: { action: string; changes: Record<string, unknown>; actor: string }[] }>(
      await admin(gateway, "GET", `/audit?identityId=${identity.id}`),
      200,
    );
    const mine = audit.items.map((entry) => [entry.action, entry.actor]);
    expect(mine).toEqual([
      ["identity.delete", "admin"],
      ["key.create", "admin"],
      ["identity.update", "admin"],
      ["identity.create", "admin"],
    ]);
  });
});

describe("keys in an identity", () => {
  it("join with identityId on create, update and import; show it; list by it; leave with null", async () => {
    const identity = await createIdentity(gateway);
    const created = await createKey(gateway, { identityId: identity.id });
    expect(created.identityId).toBe(identity.id);
    const alone = await createKey(gateway);
    expect(alone.identityId).toBeNull();
    const joined = await json<KeyJson>(await admin(gateway, "PATCH", `/keys/${alone.id}`, { identityId: identity.id }), 200);
    expect(joined.identityId).toBe(identity.id);
    const imported = await json<{ imported: { id: string }[] }>(
      await admin(gateway, "POST", "/keys/import", {
        keys: [{ hash: crypto.randomUUID().replaceAll("-", "").repeat(2), name: "imported", identityId: identity.id }],
      }),
      200,
    );
    const members = await json<{ items: KeyJson[] }>(await admin(gateway, "GET", `/keys?identityId=${identity.id}`), 200);
    expect(members.items.map((k) => k.id).sort()).toEqual([created.id, alone.id, imported.imported[0]!.id].sort());

    const left = await json<KeyJson>(await admin(gateway, "PATCH", `/keys/${alone.id}`, { identityId: null }), 200);
    expect(left.identityId).toBeNull();
  });

  it("refuses an unknown identityId with 400 invalid_request naming the field, on create, update and import", async () => {
    const create = await expectProblem(
      await admin(gateway, "POST", "/keys", { name: "k", identityId: "idt_nope" }),
      400,
      "invalid_request",
    );
    expect(create.detail).toContain("identityId");
    const key = await createKey(gateway);
    const update = await expectProblem(
      await admin(gateway, "PATCH", `/keys/${key.id}`, { identityId: "idt_nope" }),
      400,
      "invalid_request",
    );
    expect(update.detail).toContain("identityId");
    const report = await json<{ imported: unknown[]; invalid: { index: number; detail: string }[] }>(
      await admin(gateway, "POST", "/keys/import", {
        keys: [{ hash: crypto.randomUUID().replaceAll("-", "").repeat(2), name: "imported", identityId: "idt_nope" }],
      }),
      200,
    );
    expect(report.imported).toEqual([]);
    expect(report.invalid).toEqual([{ index: 0, detail: "identityId: no identity with id idt_nope" }]);
  });
});

describe("joining an identity while it is deleted", () => {
  // Membership and deletion are one decision in D1: either the key joined (and the delete is refused), or the identity is gone (and the join is refused).
  const ROUNDS = 25;

  /** Whether the key ended up in an identity that no longer exists. */
  async function dangling(key: KeyJson): Promise<boolean> {
    const row = await env.DB.prepare("select identity_id from keys where id = ?").bind(key.id).first<{ identity_id: string | null }>();
    if (row?.identity_id == null) return false;
    const identity = await env.DB.prepare("select 1 from identities where id = ?").bind(row.identity_id).first();
    return identity === null;
  }

  it("never answers success to both a PATCH that joins and the DELETE", async () => {
    const outcomes = await Promise.all(
      Array.from({ length: ROUNDS }, async () => {
        const identity = await createIdentity(gateway, { externalId: `race_${crypto.randomUUID()}` });
        const key = await createKey(gateway);
        const [joined, deleted] = await Promise.all([
          admin(gateway, "PATCH", `/keys/${key.id}`, { identityId: identity.id }),
          admin(gateway, "DELETE", `/identities/${identity.id}`),
        ]);
        expect([joined.status, deleted.status]).not.toEqual([200, 204]);
        if (joined.status !== 200) await expectProblem(joined, 400, "invalid_request");
        if (deleted.status !== 204) await expectProblem(deleted, 409, "conflict");
        return dangling(key);
      }),
    );
    expect(outcomes.filter(Boolean)).toEqual([]);
  });

  it("never answers success to both a create and an import that join, and the DELETE", async () => {
    const outcomes = await Promise.all(
      Array.from({ length: ROUNDS }, async () => {
        const identity = await createIdentity(gateway, { externalId: `race_${crypto.randomUUID()}` });
        const hash = crypto.randomUUID().replaceAll("-", "").repeat(2);
        const [created, imported, deleted] = await Promise.all([
          admin(gateway, "POST", "/keys", { name: "racer", identityId: identity.id }),
          admin(gateway, "POST", "/keys/import", { keys: [{ hash, name: "racer", identityId: identity.id }] }),
          admin(gateway, "DELETE", `/identities/${identity.id}`),
        ]);
        const report = await json<{ imported: unknown[] }>(imported, 200);
        if (deleted.status === 204) {
          expect(created.status).toBe(400);
          expect(report.imported).toEqual([]);
        }
        const rows = await env.DB.prepare(
          "select count(*) as n from keys where identity_id = ? and not exists (select 1 from identities where id = ?)",
        )
          .bind(identity.id, identity.id)
          .first<{ n: number }>();
        return rows!.n;
      }),
    );
    expect(outcomes.filter((n) => n > 0)).toEqual([]);
  });
});
