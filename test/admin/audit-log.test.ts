import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { hashKey } from "../../src/keys/format";
import { admin, createKey } from "../support/admin";
import { call, expectProblem, gatewayEnv, json } from "../support/gateway";

const gateway = gatewayEnv([{ path: "/api/*", upstream: env.UPSTREAM_URL }]);

interface Entry {
  at: string;
  action: string;
  keyId: string;
  changes: Record<string, unknown>;
}
type Page = { items: Entry[]; nextCursor: string | null };

describe("GET /_gateway/admin/audit", () => {
  it("records every write of a key, newest first, with changed fields and no secret", async () => {
    const created = await createKey(gateway, { name: "audited", owner: "acme", metadata: { team: "x" } });
    await json(await admin(gateway, "PATCH", `/keys/${created.id}`, { enabled: false, name: "audited" }), 200);
    const rotated = await json<{ key: string }>(
      await admin(gateway, "POST", `/keys/${created.id}/rotate`, { gracePeriodSeconds: 60 }),
      201,
    );
    expect((await admin(gateway, "DELETE", `/keys/${created.id}`)).status).toBe(204);

    const page = await json<Page>(await admin(gateway, "GET", `/audit?keyId=${created.id}`), 200);
    expect(page.items.map((e) => e.action)).toEqual(["key.revoke", "key.rotate", "key.update", "key.create"]);
    const [revoke, rotate, update, create] = page.items;
    expect(create!.changes).toMatchObject({ name: "audited", owner: "acme", metadata: { team: "x" }, start: created.start, enabled: true });
    expect(update!.changes).toEqual({ enabled: false }); // the unchanged name is not a change
    expect(rotate!.changes).toMatchObject({ gracePeriodSeconds: 60, start: rotated.key.slice(0, created.start.length) });
    expect(Object.keys(revoke!.changes)).toEqual(["revokedAt"]);
    for (const entry of page.items) expect(Number.isNaN(Date.parse(entry.at))).toBe(false);

    const everything = JSON.stringify(page);
    for (const secret of [created.key, rotated.key, await hashKey(created.key), await hashKey(rotated.key)]) {
      expect(everything).not.toContain(secret);
    }
  });

  it("pages with a cursor, newest first", async () => {
    const created = await createKey(gateway, { name: "n" });
    for (let i = 0; i < 3; i++) await json(await admin(gateway, "PATCH", `/keys/${created.id}`, { name: `n${i}` }), 200);
    const first = await json<Page>(await admin(gateway, "GET", `/audit?keyId=${created.id}&limit=2`), 200);
    expect(first.items.map((e) => e.changes.name)).toEqual(["n2", "n1"]);
    expect(first.nextCursor).toBeTruthy();
    const second = await json<Page>(await admin(gateway, "GET", `/audit?keyId=${created.id}&limit=2&cursor=${first.nextCursor}`), 200);
    expect(second.items.map((e) => e.changes.name)).toEqual(["n0", "n"]);
    expect(second.nextCursor).toBeNull();
  });

  it("writes no entry for a write that changes nothing or fails", async () => {
    const created = await createKey(gateway, { name: "same" });
    await json(await admin(gateway, "PATCH", `/keys/${created.id}`, { name: "same" }), 200);
    await expectProblem(await admin(gateway, "PATCH", `/keys/${created.id}`, { name: "" }), 400, "invalid_request");
    const page = await json<Page>(await admin(gateway, "GET", `/audit?keyId=${created.id}`), 200);
    expect(page.items.map((e) => e.action)).toEqual(["key.create"]);
  });

  it("names each entry's key and operator token as they are now, and filters by action", async () => {
    const operator = await json<{ id: string; token: string }>(
      await admin(gateway, "POST", "/operators", { name: "support desk", scopes: ["keys:read", "keys:write"] }),
      201,
    );
    const byOperator = (method: string, path: string, body?: unknown) =>
      call(gateway, `/_gateway/admin${path}`, {
        method,
        headers: { authorization: `Bearer ${operator.token}`, "content-type": "application/json" },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
    const created = await json<{ id: string }>(await byOperator("POST", "/keys", { name: "first name" }), 201);
    await json(await admin(gateway, "PATCH", `/keys/${created.id}`, { name: "renamed" }), 200);

    const page = await json<{ items: (Entry & { keyName: string | null; actor: string; actorName: string | null })[] }>(
      await admin(gateway, "GET", `/audit?keyId=${created.id}`),
      200,
    );
    expect(page.items.map(({ action, keyName, actor, actorName }) => ({ action, keyName, actor, actorName }))).toEqual([
      { action: "key.update", keyName: "renamed", actor: "admin", actorName: null },
      { action: "key.create", keyName: "renamed", actor: operator.id, actorName: "support desk" },
    ]);
    const creates = await json<Page>(await admin(gateway, "GET", `/audit?keyId=${created.id}&action=key.create`), 200);
    expect(creates.items.map((e) => e.action)).toEqual(["key.create"]);
    await expectProblem(await admin(gateway, "GET", "/audit?action=key.eaten"), 400, "invalid_request");
  });

  it("refuses a forged cursor and a bad limit", async () => {
    await expectProblem(await admin(gateway, "GET", "/audit?cursor=abc"), 400, "invalid_request");
    await expectProblem(await admin(gateway, "GET", "/audit?limit=-1"), 400, "invalid_request");
  });
});
