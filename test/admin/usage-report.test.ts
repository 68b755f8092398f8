import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { UsageReport } from "../../src/admin/usage-report";
import { database } from "../../src/db/client";
import { keyObjectName } from "../../src/objects/names";
import { writeUsageRollups } from "../../src/usage/hourly";
import { admin, createKey } from "../support/admin";
import { call, expectProblem, gatewayEnv, json, withKey } from "../support/gateway";

const gateway = gatewayEnv([{ path: "/api/*", upstream: env.UPSTREAM_URL }]);
const HOUR = 3_600_000;

/** A span of its own per test, so rollups other tests store never fall into it. */
let spans = 0;
function span(): number {
  return Date.UTC(2027, 0, 1 + 2 * ++spans);
}

type Counts = Partial<{ allowed: number; rateLimited: number; quotaExceeded: number }>;
const row = (keyId: string, route: string, hour: number, counts: Counts) => ({ keyId, route, hour, counts });

/** Stores rollup rows as the key objects' alarms do. */
async function store(...rows: ReturnType<typeof row>[]): Promise<void> {
  for (const { keyId, route, hour, counts } of rows) {
    await writeUsageRollups(database(env.DB), keyId, [{ route, hour, allowed: 0, rateLimited: 0, quotaExceeded: 0, ...counts }]);
  }
}

const report = async (query: string) => json<UsageReport>(await admin(gateway, "GET", `/usage?${query}`), 200);
const at = (ms: number) => new Date(ms).toISOString();

describe("GET /_gateway/admin/usage", () => {
  it("counts traffic through the worker by key and route once the key objects' alarms have copied it to D1", async () => {
    const traffic = gatewayEnv([
      { path: "/api/*", upstream: env.UPSTREAM_URL },
      { path: "/v2/*", upstream: env.UPSTREAM_URL, rateLimits: [{ name: "burst", limit: 1, window: 60 }] },
    ]);
    const busy = await createKey(traffic, { name: "busy" });
    const capped = await createKey(traffic, { name: "capped", quota: { limit: 1, period: "total" } });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await withKey(traffic, "/api/x", busy.key)).status);
    for (let i = 0; i < 2; i++) statuses.push((await withKey(traffic, "/v2/x", busy.key)).status);
    for (let i = 0; i < 2; i++) statuses.push((await withKey(traffic, "/api/x", capped.key)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 429, 200, 429]);
    const query = `keyIds=${busy.id},${capped.id}`;

    // Nothing reaches D1 on the request path.
    expect((await report(`groupBy=key&${query}`)).groups).toEqual([]);
    const flush = async (...ids: string[]) => {
      for (const id of ids) expect(await runDurableObjectAlarm(env.KEY_LIMITER.getByName(keyObjectName(id)))).toBe(true);
    };
    await flush(busy.id, capped.id);

    const byKey = await report(`groupBy=key&${query}`);
    expect(byKey.groups.map((g) => [g.group, g.name, g.total])).toEqual([
      [busy.id, "busy", { allowed: 4, rateLimited: 1, quotaExceeded: 0, unauthorized: 0 }],
      [capped.id, "capped", { allowed: 1, rateLimited: 0, quotaExceeded: 1, unauthorized: 0 }],
    ]);
    const byRoute = await report(`groupBy=route&${query}`);
    expect(byRoute.groups.map((g) => [g.group, g.total])).toEqual([
      ["/api/*", { allowed: 4, rateLimited: 0, quotaExceeded: 1, unauthorized: 0 }],
      ["/v2/*", { allowed: 1, rateLimited: 1, quotaExceeded: 0, unauthorized: 0 }],
    ]);

    // A later copy overwrites with the running totals: nothing is counted twice.
    expect((await withKey(traffic, "/api/x", busy.key)).status).toBe(200);
    await flush(busy.id);
    const again = await report(`groupBy=key&${query}`);
    expect(again.groups[0]!.total).toEqual({ allowed: 5, rateLimited: 1, quotaExceeded: 0, unauthorized: 0 });
    expect(again.totals.reduce((sum, b) => sum + b.allowed + b.rateLimited + b.quotaExceeded, 0)).toBe(8);
  });

  it("groups all keys' usage by key, busiest first, with names, zero-filled buckets and totals", async () => {
    const t0 = span();
    const busy = await createKey(gateway, { name: "busy" });
    const quiet = await createKey(gateway, { name: "quiet" });
    await store(
      row(busy.id, "/api/*", t0, { allowed: 3 }),
      row(busy.id, "/other", t0, { allowed: 1 }),
      row(busy.id, "/api/*", t0 + HOUR, { rateLimited: 2 }),
      row(quiet.id, "/api/*", t0, { allowed: 1, quotaExceeded: 1 }),
    );
    const answer = await report(`groupBy=key&from=${at(t0)}&to=${at(t0 + 3 * HOUR)}`);
    expect(answer).toMatchObject({ granularity: "hour", groupBy: "key", from: at(t0), to: at(t0 + 3 * HOUR), otherGroups: 0 });
    expect(answer.totals).toEqual([
      { start: at(t0), allowed: 5, rateLimited: 0, quotaExceeded: 1, unauthorized: 0 },
      { start: at(t0 + HOUR), allowed: 0, rateLimited: 2, quotaExceeded: 0, unauthorized: 0 },
      { start: at(t0 + 2 * HOUR), allowed: 0, rateLimited: 0, quotaExceeded: 0, unauthorized: 0 },
    ]);
    expect(answer.groups.map((g) => [g.group, g.name, g.total])).toEqual([
      [busy.id, "busy", { allowed: 4, rateLimited: 2, quotaExceeded: 0, unauthorized: 0 }],
      [quiet.id, "quiet", { allowed: 1, rateLimited: 0, quotaExceeded: 1, unauthorized: 0 }],
    ]);
    expect(answer.groups[0]!.buckets.map((b) => b.allowed + b.rateLimited)).toEqual([4, 2, 0]);

    const top = await report(`groupBy=key&limit=1&from=${at(t0)}&to=${at(t0 + 3 * HOUR)}`);
    expect(top.groups.map((g) => g.group)).toEqual([busy.id]);
    expect(top.otherGroups).toBe(1);
    expect(top.totals).toEqual(answer.totals);

    const only = await report(`groupBy=key&keyIds=${quiet.id}&from=${at(t0)}&to=${at(t0 + 3 * HOUR)}`);
    expect(only.groups.map((g) => g.group)).toEqual([quiet.id]);
    expect(only.totals[0]).toEqual({ start: at(t0), allowed: 1, rateLimited: 0, quotaExceeded: 1, unauthorized: 0 });
  });

  it("groups by route and by outcome, and by day", async () => {
    const t0 = span();
    await store(
      row("key_route_a", "/api/*", t0, { allowed: 5 }),
      row("key_route_b", "/api/*", t0 + HOUR, { allowed: 1, rateLimited: 1 }),
      row("key_route_b", "/v2/*", t0 + 25 * HOUR, { quotaExceeded: 4 }),
    );
    const byRoute = await report(`groupBy=route&from=${at(t0)}&to=${at(t0 + 48 * HOUR)}&granularity=day`);
    expect(byRoute.groups.map((g) => [g.group, g.total])).toEqual([
      ["/api/*", { allowed: 6, rateLimited: 1, quotaExceeded: 0, unauthorized: 0 }],
      ["/v2/*", { allowed: 0, rateLimited: 0, quotaExceeded: 4, unauthorized: 0 }],
    ]);
    expect(byRoute.groups[0]).not.toHaveProperty("name");
    expect(byRoute.groups[0]!.buckets).toEqual([
      { start: at(t0), allowed: 6, rateLimited: 1, quotaExceeded: 0, unauthorized: 0 },
      { start: at(t0 + 24 * HOUR), allowed: 0, rateLimited: 0, quotaExceeded: 0, unauthorized: 0 },
    ]);

    const byOutcome = await report(`from=${at(t0)}&to=${at(t0 + 48 * HOUR)}&granularity=day`);
    expect(byOutcome.groupBy).toBe("outcome");
    expect(byOutcome.groups.map((g) => [g.group, g.buckets.map((b) => b.allowed + b.rateLimited + b.quotaExceeded)])).toEqual([
      ["allowed", [6, 0]],
      ["quota_exceeded", [0, 4]],
      ["rate_limited", [1, 0]],
      ["unauthorized", [0, 0]],
    ]);
  });

  it("counts a row copied twice once: a copy overwrites with the running totals", async () => {
    const t0 = span();
    await store(row("key_twice", "/api/*", t0, { allowed: 2 }));
    await store(row("key_twice", "/api/*", t0, { allowed: 3 }));
    await store(row("key_twice", "/api/*", t0, { allowed: 3 }));
    const answer = await report(`groupBy=key&from=${at(t0)}&to=${at(t0 + HOUR)}`);
    expect(answer.groups).toEqual([
      {
        group: "key_twice",
        name: null,
        total: { allowed: 3, rateLimited: 0, quotaExceeded: 0, unauthorized: 0 },
        buckets: [{ start: at(t0), allowed: 3, rateLimited: 0, quotaExceeded: 0, unauthorized: 0 }],
      },
    ]);
  });

  it("counts 401s through the worker by route and as the unauthorized outcome, never for a key", async () => {
    const route = `/refused-${crypto.randomUUID().slice(0, 8)}/*`;
    const base = route.slice(0, -1);
    const traffic = gatewayEnv([{ path: route, upstream: env.UPSTREAM_URL }]);
    const key = await createKey(traffic, { name: "revoked later" });
    expect((await withKey(traffic, `${base}x`, key.key)).status).toBe(200);
    await admin(traffic, "DELETE", `/keys/${key.id}`);
    const before = await report("groupBy=outcome");
    const refused = [
      (await call(traffic, `${base}x`)).status, // missing_key
      (await withKey(traffic, `${base}x`, "gk_live_notavalidkey")).status, // invalid_key
      (await withKey(traffic, `${base}x`, key.key)).status, // revoked_key
    ];
    expect(refused).toEqual([401, 401, 401]);
    expect(await runDurableObjectAlarm(env.KEY_LIMITER.getByName(keyObjectName(key.id)))).toBe(true);

    const byRoute = await report("groupBy=route&limit=100");
    expect(byRoute.groups.find((g) => g.group === route)?.total).toEqual({ allowed: 1, rateLimited: 0, quotaExceeded: 0, unauthorized: 3 });
    const byKey = await report(`groupBy=key&keyIds=${key.id}`);
    expect(byKey.groups.map((g) => g.total)).toEqual([{ allowed: 1, rateLimited: 0, quotaExceeded: 0, unauthorized: 0 }]);
    expect(byKey.totals.reduce((sum, b) => sum + b.unauthorized, 0)).toBe(0);
    const after = await report("groupBy=outcome");
    const unauthorized = (r: UsageReport) => r.groups.find((g) => g.group === "unauthorized")?.total.unauthorized ?? 0;
    expect(unauthorized(after) - unauthorized(before)).toBeGreaterThanOrEqual(3);
    const totalOf = (r: UsageReport) => r.totals.reduce((sum, b) => sum + b.unauthorized, 0);
    expect(totalOf(after) - totalOf(before)).toBeGreaterThanOrEqual(3);
  });

  it("refuses a bad query with 400 invalid_request naming the field", async () => {
    const t0 = span();
    for (const query of [
      "groupBy=owner",
      "granularity=minute",
      "limit=0",
      "limit=101",
      `from=${at(t0)}&to=${at(t0)}`,
      `from=${at(t0)}&to=${at(t0 + 32 * 24 * HOUR)}`,
      `keyIds=${Array.from({ length: 101 }, (_, i) => `key_${i}`).join(",")}`,
      "keyIds=a,,b",
    ]) {
      await expectProblem(await admin(gateway, "GET", `/usage?${query}`), 400, "invalid_request");
    }
  });
});
