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

  describe("sorted on the server", () => {
    type Page = { items: KeyJson[]; nextCursor: string | null };
    const SORTS = ["createdAt", "-createdAt", "name", "-name", "expiresAt", "-expiresAt", "lastUsedAt", "-lastUsedAt"] as const;

    /** The order the docs promise: values ascending or descending, missing values last, ties by id. */
    function expectedOrder(all: KeyJson[], sort: (typeof SORTS)[number]): string[] {
      const field = sort.replace("-", "") as "createdAt" | "name" | "expiresAt" | "lastUsedAt";
      const sign = sort.startsWith("-") ? -1 : 1;
      const value = (k: KeyJson) => {
        const v = k[field];
        if (v === null || v === undefined) return null;
        return field === "name" ? String(v).toLowerCase() : Date.parse(String(v));
      };
      return [...all]
        .sort((a, b) => {
          const va = value(a);
          const vb = value(b);
          if (va === null || vb === null) return va === vb ? (a.id < b.id ? -1 : 1) : va === null ? 1 : -1;
          if (va !== vb) return (va < vb ? -1 : 1) * sign;
          return a.id < b.id ? -1 : 1;
        })
        .map((k) => k.id);
    }

    async function pages(query: string, limit: number): Promise<string[]> {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: Page = await json(
          await admin(gateway, "GET", `/keys?${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ""}`),
          200,
        );
        seen.push(...page.items.map((k) => k.id));
        cursor = page.nextCursor;
      } while (cursor);
      return seen;
    }

    it("pages through every order with ties, each key once, in the documented order", async () => {
      const owner = `sorted-${crypto.randomUUID()}`;
      const expiry = new Date(Date.now() + 86_400_000).toISOString();
      const later = new Date(Date.now() + 2 * 86_400_000).toISOString();
      // Ties everywhere: equal names in other cases, equal expiries, no expiry, never used.
      const bodies = [
        { name: "beta", expiresAt: expiry },
        { name: "Beta", expiresAt: expiry },
        { name: "alpha" },
        { name: "BETA", expiresAt: later },
        { name: "gamma", expiresAt: expiry },
        { name: "alpha" },
        { name: "Delta" },
      ];
      for (const body of bodies) await createKey(gateway, { owner, ...body });
      const all = (await json<Page>(await admin(gateway, "GET", `/keys?owner=${owner}&limit=100`), 200)).items;
      expect(all).toHaveLength(bodies.length);
      for (const sort of SORTS) {
        const expected = expectedOrder(all, sort);
        for (const limit of [1, 2, 3]) expect(await pages(`owner=${owner}&sort=${sort}`, limit), `${sort} by ${limit}`).toEqual(expected);
      }
      // The first page of -name starts with the last name; the last of name ends with it.
      const first = await json<Page>(await admin(gateway, "GET", `/keys?owner=${owner}&sort=-name&limit=1`), 200);
      expect(first.items[0]?.name).toBe("gamma");
    });

    it("combines the order with search, owner, identity and status filters", async () => {
      const tag = crypto.randomUUID().slice(0, 8);
      const owner = `combined-${crypto.randomUUID()}`;
      const identity = await json<{ id: string }>(await admin(gateway, "POST", "/identities", { externalId: `ext-${tag}` }), 201);
      const c = await createKey(gateway, { owner, name: `c-${tag}`, identityId: identity.id });
      const a = await createKey(gateway, { owner, name: `a-${tag}`, identityId: identity.id });
      await createKey(gateway, { owner, name: `b-${tag}`, identityId: identity.id, enabled: false });
      await createKey(gateway, { owner, name: "unrelated", identityId: identity.id });
      await createKey(gateway, { owner: `${owner}-other`, name: `d-${tag}` });
      expect(await pages(`q=${tag}&owner=${owner}&identityId=${identity.id}&status=active&sort=-name`, 1)).toEqual([c.id, a.id]);
      expect(await pages(`q=${tag}&owner=${owner}&status=active&sort=name`, 1)).toEqual([a.id, c.id]);
    });

    it("refuses an unknown sort and a cursor from another order with 400", async () => {
      const owner = `refused-${crypto.randomUUID()}`;
      for (let i = 0; i < 3; i++) await createKey(gateway, { owner, name: `k${i}` });
      const bad = await expectProblem(await admin(gateway, "GET", "/keys?sort=color"), 400, "invalid_request");
      expect(bad.detail).toContain("sort");
      await expectProblem(await admin(gateway, "GET", "/keys?sort=hash"), 400, "invalid_request");
      const byName = await json<Page>(await admin(gateway, "GET", `/keys?owner=${owner}&sort=name&limit=1`), 200);
      const byId = await json<Page>(await admin(gateway, "GET", `/keys?owner=${owner}&limit=1`), 200);
      const other = await expectProblem(
        await admin(gateway, "GET", `/keys?owner=${owner}&sort=-name&cursor=${byName.nextCursor}`),
        400,
        "invalid_request",
      );
      expect(other.detail).toContain("cursor");
      await expectProblem(await admin(gateway, "GET", `/keys?owner=${owner}&sort=name&cursor=${byId.nextCursor}`), 400, "invalid_request");
    });
  });

  it("refuses a bad limit and a forged cursor with 400", async () => {
    expect((await expectProblem(await admin(gateway, "GET", "/keys?limit=0"), 400, "invalid_request")).detail).toContain("limit");
    expect((await expectProblem(await admin(gateway, "GET", "/keys?limit=1000"), 400, "invalid_request")).detail).toContain("limit");
    expect((await expectProblem(await admin(gateway, "GET", "/keys?cursor=!!!"), 400, "invalid_request")).detail).toContain("cursor");
  });
});
