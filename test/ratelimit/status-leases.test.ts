import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Env } from "../../src/env";
import worker from "../../src/index";
import { admin, createKey } from "../support/admin";
import { gatewayEnv, json } from "../support/gateway";

const LEASE_TTL_MS = 1000;

/** The real key objects, counting the calls made to them (one stub lookup per call). */
function countingKeyObjects(namespace: Env["KEY_LIMITER"]): { namespace: Env["KEY_LIMITER"]; calls: () => number } {
  let calls = 0;
  const counted = new Proxy(namespace, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (property !== "getByName") return typeof value === "function" ? value.bind(target) : value;
      return (name: string) => {
        calls++;
        return target.getByName(name);
      };
    },
  });
  return { namespace: counted, calls: () => calls };
}

/**
 * Sends `count` requests (or as many as fit in `forMs`) one after another, each answered before the
 * next; their background work is awaited at the end.
 */
async function busyKey(target: Env, key: string, count: number, forMs = Number.POSITIVE_INFINITY): Promise<number[]> {
  const contexts: ExecutionContext[] = [];
  const statuses: number[] = [];
  const until = Date.now() + forMs;
  for (let i = 0; i < count && Date.now() < until; i++) {
    const ctx = createExecutionContext();
    contexts.push(ctx);
    const response = await worker.fetch(new Request("https://gw.test/api/x", { headers: { "x-api-key": key } }), target, ctx);
    await response.arrayBuffer();
    statuses.push(response.status);
  }
  await Promise.all(contexts.map((ctx) => waitOnExecutionContext(ctx)));
  return statuses;
}

describe("a key with no limit and no quota", () => {
  it("is decided from a lease once busy: at least 95% of its requests make no Durable Object call, and every one is counted", async () => {
    const keyObjects = countingKeyObjects(env.KEY_LIMITER);
    const gateway = gatewayEnv([{ path: "/api/*", upstream: env.UPSTREAM_URL }], {
      KEY_LIMITER: keyObjects.namespace,
      LEASE_TTL_MS: String(LEASE_TTL_MS),
    });
    const created = await createKey(gateway);
    const before = keyObjects.calls();

    const statuses = await busyKey(gateway, created.key, 1000);
    expect(statuses.every((status) => status === 200)).toBe(true);
    expect((keyObjects.calls() - before) / statuses.length).toBeLessThanOrEqual(0.05);

    const { buckets } = await json<{ buckets: { allowed: number }[] }>(await admin(gateway, "GET", `/keys/${created.id}/usage`), 200);
    expect(buckets.reduce((sum, b) => sum + b.allowed, 0)).toBe(1000);
  }, 60_000);

  it("asks its object on every request while quiet, so no lease outlives its use", async () => {
    const keyObjects = countingKeyObjects(env.KEY_LIMITER);
    const gateway = gatewayEnv([{ path: "/api/*", upstream: env.UPSTREAM_URL }], { KEY_LIMITER: keyObjects.namespace });
    const created = await createKey(gateway);
    const before = keyObjects.calls();
    expect(await busyKey(gateway, created.key, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(keyObjects.calls() - before).toBe(5);
  });
});

describe("a busy key's lease calls", () => {
  it("stay near two per TTL: renewals carry the reports, and a report goes out on its own only once traffic stops", async () => {
    const keyObjects = countingKeyObjects(env.KEY_LIMITER);
    const gateway = gatewayEnv([{ path: "/api/*", upstream: env.UPSTREAM_URL }], {
      KEY_LIMITER: keyObjects.namespace,
      LEASE_TTL_MS: String(LEASE_TTL_MS),
    });
    // An hour's window: a lease lives LEASE_TTL_MS, not 1/100 of the window.
    const created = await createKey(gateway, { rateLimits: [{ name: "hour", limit: 10_000_000, window: 3600 }] });
    const before = keyObjects.calls();

    const seconds = 4;
    const statuses = await busyKey(gateway, created.key, Number.POSITIVE_INFINITY, seconds * 1000);
    expect(statuses.every((status) => status === 200)).toBe(true);
    // A renewal at half the TTL, the first calls (the record with the decision and a lease of one unit: docs/rate-limits.md
    // "One round trip for a cold key"; then renewals sized from the key's rate, the first from one request since that answer:
    // tens of units where a first lease call asks a thousand, so the ramp takes up to two more) and the reports once
    // traffic stops; a report per grant would grow each TTL.
    expect(keyObjects.calls() - before).toBeLessThanOrEqual(2 * seconds + 8);

    const { buckets } = await json<{ buckets: { allowed: number }[] }>(await admin(gateway, "GET", `/keys/${created.id}/usage`), 200);
    expect(buckets.reduce((sum, b) => sum + b.allowed, 0)).toBe(statuses.length);
  }, 60_000);
});
