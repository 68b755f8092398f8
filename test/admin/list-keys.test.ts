import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { admin, createKey, type KeyJson } from "../support/admin";
import { withClockAhead } from "../support/clock";
import { expectProblem, gatewayEnv, json } from "../support/gateway";

const gateway = gatewayEnv([{ path: "/api/*", upstream: env.UPSTREAM_URL }]);

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

  it("searches name, owner, id and displayed start on the server (q), with LIKE's wildcards taken literally", async () => {
    const tag = crypto.randomUUID().slice(0, 8);
    const byName = await createKey(gateway, { name: `Billing-${tag} 100%_x` });
    const byOwner = await createKey(gateway, { name: "other", owner: `team-${tag}` });
    await createKey(gateway, { name: `billing-${tag} 100x` });
    const ids = async (q: string) =>
      (await json<{ items: KeyJson[] }>(await admin(gateway, "GET", `/keys?limit=100&q=${encodeURIComponent(q)}`), 200)).items.map(
        (k) => k.id,
      );
    expect(await ids(`BILLING-${tag} 100%_`)).toEqual([byName.id]);
    expect(await ids(`team-${tag}`)).toEqual([byOwner.id]);
    expect(await ids(byOwner.id)).toEqual([byOwner.id]);
    expect(await ids(byName.start)).toContain(byName.id);
    expect(await ids(`${tag}-nothing`)).toEqual([]);
    await expectProblem(await admin(gateway, "GET", "/keys?q="), 400, "invalid_request");
  });

  it("filters by status on the server: active, disabled, expired, revoked", async () => {
    const owner = `owner-${crypto.randomUUID()}`;
    const active = await createKey(gateway, { owner, name: "active" });
    const disabled = await createKey(gateway, { owner, name: "disabled", enabled: false });
    const expired = await createKey(gateway, { owner, name: "expired", expiresAt: new Date(Date.now() + 1000).toISOString() });
    const revoked = await createKey(gateway, { owner, name: "revoked", enabled: false });
    await admin(gateway, "DELETE", `/keys/${revoked.id}`);
    const names = async (status: string) =>
      (await json<{ items: KeyJson[] }>(await admin(gateway, "GET", `/keys?owner=${owner}&status=${status}`), 200)).items.map((k) => k.id);
    expect((await names("active")).sort()).toEqual([active.id, expired.id].sort()); // not expired yet
    await withClockAhead(1_100, async () => {
      expect(await names("active")).toEqual([active.id]);
      expect(await names("disabled")).toEqual([disabled.id]);
      expect(await names("expired")).toEqual([expired.id]);
      expect(await names("revoked")).toEqual([revoked.id]);
    });
    await expectProblem(await admin(gateway, "GET", "/keys?status=gone"), 400, "invalid_request");
  });

  it("refuses a bad limit and a forged cursor with 400", async () => {
    expect((await expectProblem(await admin(gateway, "GET", "/keys?limit=0"), 400, "invalid_request")).detail).toContain("limit");
    expect((await expectProblem(await admin(gateway, "GET", "/keys?limit=1000"), 400, "invalid_request")).detail).toContain("limit");
    expect((await expectProblem(await admin(gateway, "GET", "/keys?cursor=!!!"), 400, "invalid_request")).detail).toContain("cursor");
  });
});
