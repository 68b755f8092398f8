import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { checksum, generateKey, hashKey, parseKey } from "../../src/keys/format";
import { keyLocator } from "../../src/keys/locator";
import { identityObjectName, keyObjectName } from "../../src/objects/names";
import { admin, createKey, revokeKey } from "../support/admin";
import { countingD1, countingObjects, expectProblem, gatewayEnv, json, withKey } from "../support/gateway";

// docs/rate-limits.md "One round trip for a cold key": calls counted through the real D1 and object bindings.
// The import prefixes' refresh (every 30 s in the background, see beforeAll) is isolate state: not counted.
const d1 = countingD1(env.DB, (sql) => sql.includes("import_prefixes"));
const objects = countingObjects(env.KEY_LIMITER);
const counters = countingObjects(env.CLIENT_IP_COUNTER);
const gateway = gatewayEnv(
  [
    { path: "/api/*", upstream: env.UPSTREAM_URL, rateLimits: [{ name: "minute", limit: 100, window: 60 }] },
    { path: "/scoped/*", upstream: env.UPSTREAM_URL, scopes: ["admin"] },
  ],
  { DB: d1.db, KEY_LIMITER: objects.namespace, CLIENT_IP_COUNTER: counters.namespace },
);

/** The D1 queries and object calls one request makes; background renewals (a lease's report, nobody waits for it) left out. */
async function tripsOf(request: () => Promise<Response>, status: number) {
  const queries = d1.queries();
  const called = objects.calls.length;
  const counted = counters.calls.length;
  const response = await request();
  expect(response.status).toBe(status);
  await response.arrayBuffer();
  const waitedFor = objects.calls.slice(called).filter((call) => !call.endsWith(" renew"));
  return { d1: d1.queries() - queries, objects: waitedFor, counters: counters.calls.slice(counted) };
}

const locatorOf = (key: string) => keyLocator(parseKey(key)!.body);

/** An own-format key of the older kind, all random: imported, as keys issued before locators are in D1. */
async function importedOldKey(): Promise<{ key: string; id: string }> {
  let key = generateKey("gk_live");
  while (locatorOf(key)) key = generateKey("gk_live"); // one in ~1,900 fits a tag by chance
  const imported = await json<{ imported: { id: string }[] }>(
    await admin(gateway, "POST", "/keys/import", { keys: [{ key, name: "old format" }] }),
    200,
  );
  return { key, id: imported.imported[0]!.id };
}

// The proxy reads the registered import prefixes once per isolate (then refreshes them every 30 s in
// the background, docs/keys.md § Import): isolate state, not the key's. One request makes them fresh.
beforeAll(async () => {
  expect((await withKey(gateway, "/api/warm-up", (await createKey(gateway)).key)).status).toBe(200);
});

describe("a cold request", () => {
  it("with a key of the new format makes one object call and no D1 query", async () => {
    const created = await createKey(gateway);
    expect(locatorOf(created.key)).toEqual({ kind: "key", id: created.id });
    const trips = await tripsOf(() => withKey(gateway, "/api/cold", created.key), 200);
    expect(trips).toEqual({ d1: 0, objects: [`${keyObjectName(created.id)} resolve`], counters: [] });
  });

  it("with a key of the older format makes a D1 query, then the object call", async () => {
    const old = await importedOldKey();
    const trips = await tripsOf(() => withKey(gateway, "/api/cold", old.key), 200);
    expect(trips).toEqual({ d1: 1, objects: [`${keyObjectName(old.id)} check`], counters: [] });
  });

  it("with a key of an identity calls the identity's object, which decides for it", async () => {
    const identity = await json<{ id: string }>(
      await admin(gateway, "POST", "/identities", {
        externalId: `one-trip-${crypto.randomUUID()}`,
        rateLimits: [{ name: "all", limit: 2, window: 60 }],
      }),
      201,
    );
    const first = await createKey(gateway, { identityId: identity.id });
    const second = await createKey(gateway, { identityId: identity.id });
    expect(locatorOf(first.key)).toEqual({ kind: "idt", id: identity.id });
    const trips = await tripsOf(() => withKey(gateway, "/api/x", first.key), 200);
    expect(trips).toEqual({ d1: 0, objects: [`${identityObjectName(identity.id)} resolve`], counters: [] });
    expect((await tripsOf(() => withKey(gateway, "/api/x", second.key), 200)).d1).toBe(0);
    // The identity's limit is shared: its third request, by either key, is refused.
    await expectProblem(await withKey(gateway, "/api/x", second.key), 429, "rate_limited");
  });

  it("with a key that joined an identity since its secret was issued asks its own object, then the identity's, and no D1", async () => {
    const identity = await json<{ id: string }>(
      await admin(gateway, "POST", "/identities", { externalId: `one-trip-${crypto.randomUUID()}` }),
      201,
    );
    const created = await createKey(gateway);
    await json(await admin(gateway, "PATCH", `/keys/${created.id}`, { identityId: identity.id }), 200);
    const trips = await tripsOf(() => withKey(gateway, "/api/x", created.key), 200);
    expect(trips.d1).toBe(0);
    expect(trips.objects).toEqual([`${keyObjectName(created.id)} resolve`, `${identityObjectName(identity.id)} check`]);
    // A rotation names the identity's object in the new secret: one call again.
    const rotated = await json<{ key: string }>(await admin(gateway, "POST", `/keys/${created.id}/rotate`, {}), 201);
    expect(locatorOf(rotated.key)).toEqual({ kind: "idt", id: identity.id });
    expect((await tripsOf(() => withKey(gateway, "/api/x", rotated.key), 200)).objects).toEqual([
      `${identityObjectName(identity.id)} resolve`,
    ]);
  });

  it("with an unknown key whose body names an object is refused, counted against its client, and stores nothing there", async () => {
    const created = await createKey(gateway);
    // The checksum is public: anyone can mint a well-formed key around a known key's locator.
    const head = `gk_live_${"Z".repeat(20)}${parseKey(created.key)!.body.slice(20, 32)}`;
    const forged = head + checksum(head);
    expect(locatorOf(forged)).toEqual({ kind: "key", id: created.id });
    const trips = await tripsOf(() => withKey(gateway, "/api/x", forged, { "cf-connecting-ip": "198.51.100.77" }), 401);
    expect(trips.d1).toBe(0);
    expect(trips.objects).toEqual([`${keyObjectName(created.id)} resolve`]);
    expect(trips.counters).toHaveLength(1);
    // The object holds the created key's record from its creation (its `key_records` table), and nothing of the forged one.
    const stored = await runInDurableObject(env.KEY_LIMITER.getByName(keyObjectName(created.id)), (_, state) =>
      state.storage.sql.exec("SELECT hash FROM key_records").toArray(),
    );
    expect(stored).toEqual([{ hash: hashKey(created.key) }]);
  });

  it("refused for a scope spends nothing, in the same one call", async () => {
    const created = await createKey(gateway, { rateLimits: [{ name: "tight", limit: 1, window: 60 }] });
    const refused = await tripsOf(() => withKey(gateway, "/scoped/x", created.key), 403);
    expect(refused.objects).toEqual([`${keyObjectName(created.id)} resolve`]);
    expect((await withKey(gateway, "/api/x", created.key)).status).toBe(200);
    await expectProblem(await withKey(gateway, "/api/x", created.key), 429, "rate_limited");
  });

  it("to /_gateway/me reads the key's state in one object call and spends nothing", async () => {
    const created = await createKey(gateway, { rateLimits: [{ name: "tight", limit: 3, window: 60 }] });
    const trips = await tripsOf(() => withKey(gateway, "/_gateway/me", created.key), 200);
    expect(trips).toEqual({ d1: 0, objects: [`${keyObjectName(created.id)} resolve`], counters: [] });
    const me = await json<{ rateLimits: { name: string; remaining: number }[] }>(await withKey(gateway, "/_gateway/me", created.key), 200);
    expect(me.rateLimits.find((l) => l.name === "tight")?.remaining).toBe(3);
  });

  it("after a revocation in this isolate is refused by the key's object, which read the newest record", async () => {
    const created = await createKey(gateway);
    expect((await withKey(gateway, "/api/x", created.key)).status).toBe(200);
    expect((await revokeKey(gateway, created.id)).status).toBe(204);
    const trips = await tripsOf(() => withKey(gateway, "/api/x", created.key), 401);
    expect(trips.objects).toEqual([`${keyObjectName(created.id)} resolve`]);
  });
});
