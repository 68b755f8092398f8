// Several gateway isolates sharing one D1 and one Durable Object namespace: every admin change to a
// key or its identity, made through isolate 0, reaches the isolates that still hold the key's
// cached record (and leases on it) within LEASE_TTL_MS, not only revocation (docs/keys.md "Consistency").
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateKey, parseKey } from "../../src/keys/format.ts";
import { keyLocator } from "../../src/keys/locator.ts";
import { type GatewayIsolates, startGatewayIsolates } from "../support/isolates.ts";

const ISOLATES = 3;
const LEASE_TTL_MS = 300;
/** How long after the bound the tests keep sending, to see that every later request gets the new answer. */
const WATCH_MS = 500;

let isolates: GatewayIsolates;
beforeAll(async () => {
  isolates = await startGatewayIsolates({
    isolates: ISOLATES,
    routes: (upstream) => [
      { path: "/api/*", upstream, stripPrefix: true },
      { path: "/write/*", upstream, stripPrefix: true, scopes: ["write"] },
    ],
    settings: { LEASE_TTL_MS: String(LEASE_TTL_MS) },
  });
});
afterAll(async () => {
  await isolates?.dispose();
});

/** `200`, or the problem's code, of one request through isolate `index`. */
async function outcomeVia(index: number, key: string, path = "/api/items"): Promise<string> {
  const response = await isolates.fetch(index, path, { headers: { "x-api-key": key } });
  if (response.ok) {
    await response.arrayBuffer();
    return String(response.status);
  }
  return ((await response.json()) as { code: string }).code;
}

async function adminOk(method: string, path: string, body: unknown): Promise<void> {
  const response = await isolates.admin(0, method, path, body);
  expect(response.status, await response.clone().text()).toBeLessThan(300);
  await response.arrayBuffer();
}

/** Every other isolate answers `200` now, holding the key's record and, under traffic, a lease on it. */
async function warm(key: string, path?: string): Promise<void> {
  for (let i = 1; i < ISOLATES; i++) for (let n = 0; n < 3; n++) expect(await outcomeVia(i, key, path)).toBe("200");
}

/**
 * Sends requests through every other isolate until LEASE_TTL_MS + WATCH_MS after `changedAt`: each
 * one *sent* after `changedAt + LEASE_TTL_MS` must get `expected` (earlier ones may still be answered
 * from before the change).
 */
async function expectEverywhereWithin(key: string, changedAt: number, expected: string, path?: string): Promise<void> {
  const until = changedAt + LEASE_TTL_MS + WATCH_MS;
  const watch = async (index: number) => {
    const late: string[] = [];
    while (Date.now() < until) {
      const sentAt = Date.now();
      const outcome = await outcomeVia(index, key, path);
      if (sentAt > changedAt + LEASE_TTL_MS) late.push(outcome);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return late;
  };
  const seen = await Promise.all(Array.from({ length: ISOLATES - 1 }, (_, i) => watch(i + 1)));
  for (const late of seen) {
    expect(late.length).toBeGreaterThan(0);
    expect(new Set(late)).toEqual(new Set([expected]));
  }
}

/** Makes the change through isolate 0, which answers with the new state at once, and returns when it was made. */
async function change(path: string, body: unknown, key: string, expectedHere: string, requestPath?: string): Promise<number> {
  await adminOk("PATCH", path, body);
  const changedAt = Date.now();
  expect(await outcomeVia(0, key, requestPath)).toBe(expectedHere);
  return changedAt;
}

const generous = [{ name: "minute", limit: 10_000, window: 60 }];

describe(`an admin change through isolate 0 reaches the other ${ISOLATES - 1} isolates within LEASE_TTL_MS`, () => {
  it("refuses a key whose scope was removed", async () => {
    const { key, id } = await isolates.createKey({ scopes: ["write"], rateLimits: generous });
    await warm(key, "/write/x");
    const changedAt = await change(`/keys/${id}`, { scopes: [] }, key, "insufficient_scope", "/write/x");
    await expectEverywhereWithin(key, changedAt, "insufficient_scope", "/write/x");
  });

  it("admits a key whose missing scope was added, though it was refused there before", async () => {
    const { key, id } = await isolates.createKey({ rateLimits: generous });
    for (let i = 1; i < ISOLATES; i++) expect(await outcomeVia(i, key, "/write/x")).toBe("insufficient_scope");
    const changedAt = await change(`/keys/${id}`, { scopes: ["write"] }, key, "200", "/write/x");
    await expectEverywhereWithin(key, changedAt, "200", "/write/x");
  });

  it("refuses a key whose IP allowlist was tightened", async () => {
    const { key, id } = await isolates.createKey({ rateLimits: generous });
    await warm(key);
    const changedAt = await change(`/keys/${id}`, { ipAllowlist: ["192.0.2.0/24"] }, key, "ip_not_allowed");
    await expectEverywhereWithin(key, changedAt, "ip_not_allowed");
  });

  it("refuses a key whose rate limit was lowered below what it has used", async () => {
    const { key, id } = await isolates.createKey({ rateLimits: generous });
    await warm(key);
    const changedAt = await change(`/keys/${id}`, { rateLimits: [{ name: "minute", limit: 1, window: 60 }] }, key, "rate_limited");
    await expectEverywhereWithin(key, changedAt, "rate_limited");
  });

  it("refuses a key whose quota was lowered below what it has used", async () => {
    const { key, id } = await isolates.createKey({ quota: { limit: 10_000, period: "month" } });
    await warm(key);
    const changedAt = await change(`/keys/${id}`, { quota: { limit: 1, period: "month" } }, key, "quota_exceeded");
    await expectEverywhereWithin(key, changedAt, "quota_exceeded");
  });

  it("refuses a key moved into a disabled identity", async () => {
    const identity = await createIdentity({ enabled: false });
    const { key, id } = await isolates.createKey({ rateLimits: generous });
    await warm(key);
    const changedAt = await change(`/keys/${id}`, { identityId: identity }, key, "disabled_key");
    await expectEverywhereWithin(key, changedAt, "disabled_key");
  });

  it("admits a key moved out of a disabled identity, though it was refused there before", async () => {
    const identity = await createIdentity({ enabled: false });
    const { key, id } = await isolates.createKey({ rateLimits: generous, identityId: identity });
    for (let i = 1; i < ISOLATES; i++) expect(await outcomeVia(i, key)).toBe("disabled_key");
    const changedAt = await change(`/keys/${id}`, { identityId: null }, key, "200");
    await expectEverywhereWithin(key, changedAt, "200");
  });

  it("refuses every key of an identity that was disabled", async () => {
    const identity = await createIdentity({ rateLimits: generous });
    const { key } = await isolates.createKey({ identityId: identity });
    await warm(key);
    const changedAt = await change(`/identities/${identity}`, { enabled: false }, key, "disabled_key");
    await expectEverywhereWithin(key, changedAt, "disabled_key");
  });

  it("refuses a key whose identity's rate limit was lowered below what it has used", async () => {
    const identity = await createIdentity({ rateLimits: generous });
    const { key } = await isolates.createKey({ identityId: identity });
    await warm(key);
    const changedAt = await change(
      `/identities/${identity}`,
      { rateLimits: [{ name: "minute", limit: 1, window: 60 }] },
      key,
      "rate_limited",
    );
    await expectEverywhereWithin(key, changedAt, "rate_limited");
  });
});

// Keys created now name their deciding object in their body, so a cold isolate asks that object alone;
// keys issued before (here: imported ones of the gateway's format) take the D1 path (docs/rate-limits.md
// "One round trip for a cold key"). Both must see revocation and rotation within the bound.
describe(`revocation and rotation through isolate 0 reach the other ${ISOLATES - 1} isolates within LEASE_TTL_MS`, () => {
  it("refuses a revoked key whose body names its object", async () => {
    const { key, id } = await isolates.createKey({ rateLimits: generous });
    await warm(key);
    await adminOk("DELETE", `/keys/${id}`, undefined);
    const changedAt = Date.now();
    expect(await outcomeVia(0, key)).toBe("revoked_key");
    await expectEverywhereWithin(key, changedAt, "revoked_key");
  });

  it("refuses a revoked key of the older format", async () => {
    const { key, id } = await importOldFormatKey();
    await warm(key);
    await adminOk("DELETE", `/keys/${id}`, undefined);
    const changedAt = Date.now();
    expect(await outcomeVia(0, key)).toBe("revoked_key");
    await expectEverywhereWithin(key, changedAt, "revoked_key");
  });

  it("refuses a rotated key's old secret and admits the new one everywhere", async () => {
    const { key, id } = await isolates.createKey({ rateLimits: generous });
    await warm(key);
    const rotated = await isolates.admin(0, "POST", `/keys/${id}/rotate`, { gracePeriodSeconds: 0 });
    expect(rotated.status).toBe(201);
    const fresh = ((await rotated.json()) as { key: string }).key;
    const changedAt = Date.now();
    expect(await outcomeVia(0, key)).toBe("expired_key");
    for (let i = 0; i < ISOLATES; i++) expect(await outcomeVia(i, fresh)).toBe("200");
    await expectEverywhereWithin(key, changedAt, "expired_key");
  });

  it("refuses a rotated key's old secret of the older format, and admits its new secret, which names the key's object", async () => {
    const { key, id } = await importOldFormatKey();
    await warm(key);
    const rotated = await isolates.admin(0, "POST", `/keys/${id}/rotate`, { gracePeriodSeconds: 0 });
    expect(rotated.status).toBe(201);
    const fresh = ((await rotated.json()) as { key: string }).key;
    expect(keyLocator(parseKey(fresh)!.body)).toEqual({ kind: "key", id });
    const changedAt = Date.now();
    for (let i = 0; i < ISOLATES; i++) expect(await outcomeVia(i, fresh)).toBe("200");
    await expectEverywhereWithin(key, changedAt, "expired_key");
  });
});

/** A key of the gateway's format issued before bodies named objects (all 32 characters random), imported. */
async function importOldFormatKey(): Promise<{ key: string; id: string }> {
  let key = generateKey("gk_live");
  while (keyLocator(parseKey(key)!.body)) key = generateKey("gk_live"); // one in ~1,900 fits a tag by chance
  const response = await isolates.admin(0, "POST", "/keys/import", { keys: [{ key, name: "older format", rateLimits: generous }] });
  expect(response.status, await response.clone().text()).toBe(200);
  const { imported } = (await response.json()) as { imported: { id: string }[] };
  return { key, id: imported[0]!.id };
}

let identities = 0;
async function createIdentity(body: Record<string, unknown>): Promise<string> {
  const response = await isolates.admin(0, "POST", "/identities", { externalId: `changes-${++identities}`, ...body });
  expect(response.status, await response.clone().text()).toBe(201);
  return ((await response.json()) as { id: string }).id;
}
