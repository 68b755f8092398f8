import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { FAILED_ADMIN_AUTH } from "../../src/admin/auth";
import { call, gatewayEnv } from "../support/gateway";

const routes = [
  { path: "/public/*", upstream: env.UPSTREAM_URL, auth: "none" as const, rateLimits: [{ name: "anon", limit: 2, window: 60 }] },
];
const gateway = gatewayEnv(routes);
const from = (ip: string) => ({ headers: { "cf-connecting-ip": ip } });

async function statuses(target: typeof gateway, ips: string[]): Promise<number[]> {
  const seen: number[] = [];
  for (const ip of ips) seen.push((await call(target, "/public/x", from(ip))).status);
  return seen;
}

describe("clients counted by address block", () => {
  it("counts an IPv6 client per /64: rotating addresses inside it does not escape the limit", async () => {
    expect(await statuses(gateway, ["2001:db8:a:1::1", "2001:db8:a:1:ffff::2", "2001:db8:a:1:1234:5678:9abc:def0"])).toEqual([
      200, 200, 429,
    ]);
    // Another /64 is another client.
    expect(await statuses(gateway, ["2001:db8:a:2::1"])).toEqual([200]);
  });

  it("counts IPv4 per address, an IPv4-mapped IPv6 address as its IPv4 address", async () => {
    expect(await statuses(gateway, ["192.0.2.10", "192.0.2.11", "192.0.2.12"])).toEqual([200, 200, 200]);
    expect(await statuses(gateway, ["192.0.2.20", "::ffff:192.0.2.20", "192.0.2.20"])).toEqual([200, 200, 429]);
  });

  it("takes the IPv6 prefix length from IPV6_CLIENT_PREFIX", async () => {
    const exact = gatewayEnv(routes, { IPV6_CLIENT_PREFIX: "128" });
    expect(await statuses(exact, ["2001:db8:b:1::1", "2001:db8:b:1::2", "2001:db8:b:1::3"])).toEqual([200, 200, 200]);
    const wide = gatewayEnv(routes, { IPV6_CLIENT_PREFIX: "48" });
    expect(await statuses(wide, ["2001:db8:c:1::1", "2001:db8:c:2::1", "2001:db8:c:3::1"])).toEqual([200, 200, 429]);
  });

  it("counts wrong admin tokens per /64 too", async () => {
    const guess = (i: number) =>
      call(gateway, "/_gateway/admin/keys", {
        headers: { authorization: `Bearer guess-${i}`, "cf-connecting-ip": `2001:db8:d:1::${i + 1}` },
      });
    for (let i = 0; i < FAILED_ADMIN_AUTH.limit; i++) expect((await guess(i)).status).toBe(401);
    expect((await guess(FAILED_ADMIN_AUTH.limit)).status).toBe(429);
  });
});
