import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Env } from "../../src/env";
import { hashKey } from "../../src/keys/format";
import { identityObjectName, keyObjectName } from "../../src/objects/names";
import { admin, createIdentity, createKey, revokeKey } from "../support/admin";
import { countingD1, countingObjects, expectProblem, gatewayEnv, json, withKey } from "../support/gateway";

// docs/rate-limits.md "One round trip for a cold key": the admin write that makes a secret hands its
// rows to the object the secret names, so that object's first `resolve` reads no D1.
const objects = countingObjects(env.KEY_LIMITER);
const routes = [{ path: "/api/*", upstream: env.UPSTREAM_URL }];
const gateway = gatewayEnv(routes, { KEY_LIMITER: objects.namespace });

/** From now on, counts the D1 queries of the named object (its env's D1 swapped for a counting one). */
async function objectD1(name: string): Promise<() => number> {
  const counted = countingD1(env.DB);
  await runInDurableObject(env.KEY_LIMITER.getByName(name), (instance) => {
    const object = instance as unknown as { env: Env };
    object.env = { ...object.env, DB: counted.db };
  });
  return counted.queries;
}

/** The object calls one request makes (background renewals left out), and its status. */
async function callsOf(key: string): Promise<{ status: number; calls: string[] }> {
  const before = objects.calls.length;
  const response = await withKey(gateway, "/api/x", key);
  await response.arrayBuffer();
  return { status: response.status, calls: objects.calls.slice(before).filter((call) => !call.endsWith(" renew")) };
}

/** Whether the named object keeps rows for the secret. */
const keeps = (name: string, key: string) =>
  runInDurableObject(env.KEY_LIMITER.getByName(name), (_, state) => {
    const table = state.storage.sql.exec("SELECT 1 FROM sqlite_master WHERE name = 'key_records'").toArray();
    return table.length > 0 && state.storage.sql.exec("SELECT 1 FROM key_records WHERE hash = ?", hashKey(key)).toArray().length > 0;
  });

describe("the object a new secret names", () => {
  it("holds the key's record from its creation: the first request's resolve reads no D1", async () => {
    const created = await createKey(gateway);
    const queries = await objectD1(keyObjectName(created.id));
    expect(await callsOf(created.key)).toEqual({ status: 200, calls: [`${keyObjectName(created.id)} resolve`] });
    expect(queries()).toBe(0);
  });

  it("of an identity holds the record of each key created in it", async () => {
    const identity = await createIdentity(gateway);
    const queries = await objectD1(identityObjectName(identity.id));
    const created = await createKey(gateway, { identityId: identity.id });
    expect(await callsOf(created.key)).toEqual({ status: 200, calls: [`${identityObjectName(identity.id)} resolve`] });
    expect(queries()).toBe(0);
  });

  it("holds a rotated secret's record: its first request reads no D1", async () => {
    const created = await createKey(gateway);
    expect((await callsOf(created.key)).status).toBe(200);
    const rotated = await json<{ key: string }>(await admin(gateway, "POST", `/keys/${created.id}/rotate`, {}), 201);
    const queries = await objectD1(keyObjectName(created.id));
    expect(await callsOf(rotated.key)).toEqual({ status: 200, calls: [`${keyObjectName(created.id)} resolve`] });
    expect(queries()).toBe(0);
    // The old secret ended with the rotation (no grace): the object read its newer record and refused it.
    await expectProblem(await withKey(gateway, "/api/x", created.key), 401, "expired_key");
  });

  it("is handed a key's update: the next resolve decides on the new record and reads no D1", async () => {
    const created = await createKey(gateway);
    expect((await callsOf(created.key)).status).toBe(200);
    await json(await admin(gateway, "PATCH", `/keys/${created.id}`, { rateLimits: [{ name: "tight", limit: 1, window: 60 }] }), 200);
    const queries = await objectD1(keyObjectName(created.id));
    expect(await callsOf(created.key)).toEqual({ status: 200, calls: [`${keyObjectName(created.id)} resolve`] });
    expect(queries()).toBe(0);
    await expectProblem(await withKey(gateway, "/api/x", created.key), 429, "rate_limited");
  });

  it("of an identity is handed its member's update too", async () => {
    const identity = await createIdentity(gateway);
    const created = await createKey(gateway, { identityId: identity.id });
    await json(
      await admin(gateway, "PATCH", `/keys/${created.id}`, { scopes: ["read"], rateLimits: [{ name: "one", limit: 1, window: 60 }] }),
      200,
    );
    const queries = await objectD1(identityObjectName(identity.id));
    expect((await callsOf(created.key)).status).toBe(200);
    expect(queries()).toBe(0);
    await expectProblem(await withKey(gateway, "/api/x", created.key), 429, "rate_limited");
  });

  it("refuses a key revoked before its first request, and keeps no record of it", async () => {
    const created = await createKey(gateway);
    expect(await keeps(keyObjectName(created.id), created.key)).toBe(true);
    expect((await revokeKey(gateway, created.id)).status).toBe(204);
    await expectProblem(await withKey(gateway, "/api/x", created.key), 401, "revoked_key");
    expect(await keeps(keyObjectName(created.id), created.key)).toBe(false);
  });

  it("is told best-effort: a create stands when the hand-over fails, and the object reads D1 instead", async () => {
    const failing = new Proxy(env.KEY_LIMITER, {
      get(target, property) {
        if (property !== "getByName") return Reflect.get(target, property, target);
        return (name: string) => {
          const stub = target.getByName(name);
          return new Proxy(stub, {
            get: (inner, method) =>
              method === "keepRecords" ? () => Promise.reject(new Error("unreachable")) : Reflect.get(inner, method),
          });
        };
      },
    });
    const created = await createKey(gatewayEnv(routes, { KEY_LIMITER: failing }));
    // An update replaces only rows the object holds: it holds none of this secret.
    await json(await admin(gateway, "PATCH", `/keys/${created.id}`, { name: "renamed" }), 200);
    expect(await keeps(keyObjectName(created.id), created.key)).toBe(false);
    const queries = await objectD1(keyObjectName(created.id));
    expect((await callsOf(created.key)).status).toBe(200);
    expect(queries()).toBe(1);
    expect(await keeps(keyObjectName(created.id), created.key)).toBe(true);
  });
});
