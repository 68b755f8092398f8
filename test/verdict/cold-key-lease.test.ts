import { createExecutionContext, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Env } from "../../src/env";
import worker from "../../src/index";
import { keyObjectName } from "../../src/objects/names";
import { createKey, revokeKey } from "../support/admin";
import { withClockAhead } from "../support/clock";
import { countingObjects, expectProblem, gatewayEnv } from "../support/gateway";

// docs/rate-limits.md "One round trip for a cold key": the `resolve` that brings a cold key's record
// brings a lease too, so its next requests in this isolate need no call. Calls counted through the
// real object binding.
const LEASE_TTL_MS = 2000;
const objects = countingObjects(env.KEY_LIMITER);
// A 10-minute window: a slow lease lives up to 1/50 of it, so the whole LEASE_TTL_MS here.
const gateway = gatewayEnv([{ path: "/api/*", upstream: env.UPSTREAM_URL, rateLimits: [{ name: "ten", limit: 100, window: 600 }] }], {
  KEY_LIMITER: objects.namespace,
  LEASE_TTL_MS: String(LEASE_TTL_MS),
});

/**
 * Requests sent one after another, each answered before the next, their background work (a lease's
 * report a TTL later) awaited only at `settle`: the test's `call` would wait for it after each.
 */
function requests(target: Env, key: string) {
  const contexts: ExecutionContext[] = [];
  return {
    async send(): Promise<{ response: Response; calls: string[] }> {
      const called = objects.calls.length;
      const ctx = createExecutionContext();
      contexts.push(ctx);
      const response = await worker.fetch(new Request("https://gw.test/api/x", { headers: { "x-api-key": key } }), target, ctx);
      const body = await response.text();
      // Background renewals and reports are no call a request waits for.
      const calls = objects.calls.slice(called).filter((call) => !call.endsWith(" renew"));
      return { response: new Response(body, response), calls };
    },
    settle: () => Promise.all(contexts.map((ctx) => waitOnExecutionContext(ctx))),
  };
}

const leaseRows = (id: string) =>
  runInDurableObject(
    env.KEY_LIMITER.getByName(keyObjectName(id)),
    (_, state) => state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM leases").one().n,
  );

describe("a cold key's resolve", () => {
  it("brings a lease: the key's second request in this isolate within LEASE_TTL_MS makes no object call", async () => {
    const created = await createKey(gateway);
    const key = requests(gateway, created.key);
    const first = await key.send();
    expect(first.response.status).toBe(200);
    expect(first.calls).toEqual([`${keyObjectName(created.id)} resolve`]);
    const second = await key.send();
    expect(second.response.status).toBe(200);
    expect(second.calls).toEqual([]);
    await key.settle();
  });

  it("never admits past the limit: the leases it brings are counted by the key's object", async () => {
    const created = await createKey(gateway, { rateLimits: [{ name: "sixteen", limit: 16, window: 600 }] });
    const key = requests(gateway, created.key);
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) statuses.push((await key.send()).response.status);
    expect(statuses).toEqual([...Array(16).fill(200), ...Array(4).fill(429)]);
    await key.settle();
  });

  it("of a key revoked elsewhere: admitted at most while its lease lives, refused 401 once LEASE_TTL_MS is past", async () => {
    const created = await createKey(gateway);
    const key = requests(gateway, created.key);
    expect((await key.send()).response.status).toBe(200);
    // Another isolate's admin write reaches only the key's object; this isolate's caches and lease know nothing of it.
    await env.KEY_LIMITER.getByName(keyObjectName(created.id)).updateStatus({
      version: 1_000,
      enabled: true,
      expiresAt: null,
      revokedAt: Date.now(),
      secretExpiry: {},
      quota: null,
      identityId: null,
    });
    const withinLease = await key.send();
    expect(withinLease.calls).toEqual([]);
    expect(withinLease.response.status).toBe(200);
    await withClockAhead(LEASE_TTL_MS + 100, async () => {
      const refused = await key.send();
      await expectProblem(refused.response, 401, "revoked_key");
    });
    await key.settle();
  });

  it("raced by another cold request of the key in this isolate: the racer gives the lease back at the object, and neither request uses one", async () => {
    const created = await createKey(gateway);
    const key = requests(gateway, created.key);
    const called = objects.calls.length;
    const both = await Promise.all([key.send(), key.send()]);
    expect(both.map(({ response }) => response.status)).toEqual([200, 200]);
    expect(objects.calls.slice(called)).toEqual(Array(2).fill(`${keyObjectName(created.id)} resolve`));
    // Before any report: the lease the first brought is closed unused (or, had the racer come first, never granted).
    expect(await leaseRows(created.id)).toBe(0);
    // Not used here either: the next request asks the object.
    expect((await key.send()).calls).toEqual([`${keyObjectName(created.id)} check`]);
    await key.settle();
  });

  it("of a revoked key brings no lease", async () => {
    const created = await createKey(gateway);
    expect((await revokeKey(gateway, created.id)).status).toBe(204);
    const before = await leaseRows(created.id);
    const key = requests(gateway, created.key);
    const refused = await key.send();
    expect(refused.calls).toEqual([`${keyObjectName(created.id)} resolve`]);
    await expectProblem(refused.response, 401, "revoked_key");
    expect(await leaseRows(created.id)).toBe(before);
    await key.settle();
  });
});
