import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { FAILED_ADMIN_AUTH } from "../../src/admin/auth";
import { adminLoginCounter, anonymousTrafficCounter } from "../../src/objects/names";
import { call, gatewayEnv } from "../support/gateway";

const gateway = gatewayEnv([
  { path: "/public/*", upstream: env.UPSTREAM_URL, auth: "none", rateLimits: [{ name: "anon", limit: 2, window: 1 }] },
]);
const from = (ip: string, headers: Record<string, string> = {}) => ({ headers: { "cf-connecting-ip": ip, ...headers } });

/** The counter's own tables, as its SQLite lists them. */
async function tablesOf(name: string): Promise<string[]> {
  return runInDurableObject(env.CLIENT_IP_COUNTER.getByName(name), (_, state) =>
    state.storage.sql
      .exec<{ name: string }>(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_cf%' ESCAPE '\\' AND name NOT LIKE 'sqlite%'",
      )
      .toArray()
      .map((row) => row.name)
      .sort(),
  );
}

describe("the client IP counter", () => {
  it("limits anonymous traffic per client IP and deletes its storage once its windows are empty", async () => {
    const ip = "203.0.113.50";
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await call(gateway, "/public/x", from(ip))).status);
    expect(statuses).toEqual([200, 200, 429]);
    const counter = env.CLIENT_IP_COUNTER.getByName(anonymousTrafficCounter(ip, 64));
    expect(await tablesOf(anonymousTrafficCounter(ip, 64))).toEqual(["schema_version", "window_entries", "windows"]);

    // Early, the alarm finds units still in the window and looks again later.
    expect(await runDurableObjectAlarm(counter)).toBe(true);
    expect(await tablesOf(anonymousTrafficCounter(ip, 64))).toContain("windows");

    // Past the window, the alarm (run here unless it already fired on time) deletes everything, itself included.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await runDurableObjectAlarm(counter);
    expect(await tablesOf(anonymousTrafficCounter(ip, 64))).toEqual([]);
    expect(await runDurableObjectAlarm(counter)).toBe(false);

    // The emptied counter starts again from nothing.
    expect((await call(gateway, "/public/x", from(ip))).status).toBe(200);
    expect(await tablesOf(anonymousTrafficCounter(ip, 64))).toEqual(["schema_version", "window_entries", "windows"]);
  });

  it("writes nothing for an address that only reads it: a good admin login stores no state", async () => {
    const ip = "203.0.113.51";
    const response = await call(gateway, "/_gateway/admin/keys", from(ip, { authorization: `Bearer ${env.ADMIN_TOKEN}` }));
    expect(response.status).toBe(200);
    expect(await tablesOf(adminLoginCounter(ip, 64))).toEqual([]);
  });

  it("counts failed admin logins, not the key objects", async () => {
    const ip = "203.0.113.52";
    const response = await call(gateway, "/_gateway/admin/keys", from(ip, { authorization: "Bearer wrong-token" }));
    expect(response.status).toBe(401);
    const failures = await runInDurableObject(env.CLIENT_IP_COUNTER.getByName(adminLoginCounter(ip, 64)), (counter) =>
      counter.peek([FAILED_ADMIN_AUTH]),
    );
    expect(failures[0]!.remaining).toBe(FAILED_ADMIN_AUTH.limit - 1);
  });
});
