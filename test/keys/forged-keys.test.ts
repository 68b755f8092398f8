import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { FAILED_KEY_LOOKUPS } from "../../src/keys/failed-lookups";
import { generateKey } from "../../src/keys/format";
import { createKey } from "../support/admin";
import { call, countingD1, expectProblem, gatewayEnv } from "../support/gateway";

/** D1 as during an outage: every statement fails. */
const unreachableD1 = new Proxy(env.DB, {
  get(target, property) {
    if (property === "prepare" || property === "batch" || property === "exec") {
      return () => {
        throw new Error("D1_ERROR: Network connection lost.");
      };
    }
    return Reflect.get(target, property, target);
  },
});

const routes = [{ path: "/api/*", upstream: env.UPSTREAM_URL }];
/** Forged keys are well-formed: the checksum is public, so anyone can mint them. */
const forged = () => generateKey("gk_live");
let address = 0;
/** A fresh client address per call, so the per-client limit stays out of the way. */
const nextIp = () => `198.51.100.${++address % 250}`;

describe("forged keys", () => {
  it("cannot evict a known key's cached record: it keeps working through a D1 outage", async () => {
    // A small cache of its own (the cache is shared per bounds): 3 entries.
    const small = { KEY_CACHE_MAX_ENTRIES: "3", KEY_CACHE_TTL_SECONDS: "61" };
    const healthy = gatewayEnv(routes, small);
    const outage = gatewayEnv(routes, { ...small, DB: unreachableD1 });
    const { key } = await createKey(healthy);
    expect((await call(healthy, "/api/x", { headers: { "x-api-key": key } })).status).toBe(200);
    for (let i = 0; i < 10; i++) {
      const response = await call(healthy, "/api/x", { headers: { "x-api-key": forged(), "cf-connecting-ip": nextIp() } });
      expect(response.status).toBe(401);
    }
    expect((await call(outage, "/api/x", { headers: { "x-api-key": key } })).status).toBe(200);
  });

  it("limits failed key lookups per client: 429 with Retry-After, then no D1 query for that client", async () => {
    const counted = countingD1(env.DB);
    const gateway = gatewayEnv(routes, { DB: counted.db });
    const attacker = "203.0.113.150";
    const attempt = (ip: string) => call(gateway, "/api/x", { headers: { "x-api-key": forged(), "cf-connecting-ip": ip } });
    for (let i = 0; i < FAILED_KEY_LOOKUPS.limit; i++) await expectProblem(await attempt(attacker), 401, "invalid_key");
    const refused = await attempt(attacker);
    await expectProblem(refused, 429, "rate_limited");
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);

    const before = counted.queries();
    await expectProblem(await attempt(attacker), 429, "rate_limited");
    expect(counted.queries()).toBe(before);
    // Another client is not affected.
    await expectProblem(await attempt("203.0.113.151"), 401, "invalid_key");
  });

  it("still serves a cached key to a client that is blocked from lookups", async () => {
    const gateway = gatewayEnv(routes);
    const client = "203.0.113.160";
    const { key } = await createKey(gateway);
    expect((await call(gateway, "/api/x", { headers: { "x-api-key": key, "cf-connecting-ip": client } })).status).toBe(200);
    for (let i = 0; i <= FAILED_KEY_LOOKUPS.limit; i++) {
      await call(gateway, "/api/x", { headers: { "x-api-key": forged(), "cf-connecting-ip": client } });
    }
    expect((await call(gateway, "/api/x", { headers: { "x-api-key": key, "cf-connecting-ip": client } })).status).toBe(200);
  });
});
