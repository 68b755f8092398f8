import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ipInRange, parseIp, parseIpRange } from "../../src/keys/ip";
import { createKey } from "../support/admin";
import { expectProblem, gatewayEnv, withKey } from "../support/gateway";

const gateway = gatewayEnv([
  { path: "/api/*", upstream: env.UPSTREAM_URL },
  { path: "/scoped/*", upstream: env.UPSTREAM_URL, scopes: ["read", "write"] },
]);

const from = (ip: string) => ({ "cf-connecting-ip": ip });

describe("IP ranges", () => {
  it.each([
    ["203.0.113.7", "203.0.113.0/24", true],
    ["203.0.114.7", "203.0.113.0/24", false],
    ["203.0.113.7", "203.0.113.7", true],
    ["10.1.2.3", "0.0.0.0/0", true],
    ["2001:db8::1", "2001:db8::/32", true],
    ["2001:db9::1", "2001:db8::/32", false],
    ["::ffff:203.0.113.7", "203.0.113.0/24", true],
    ["2001:db8::1", "203.0.113.0/24", false],
    ["203.0.113.7", "2001:db8::/32", false],
  ])("%s in %s: %s", (ip, range, inside) => {
    expect(ipInRange(parseIp(ip)!, parseIpRange(range)!)).toBe(inside);
  });

  it.each(["300.1.1.1", "1.2.3.4/33", "2001:db8::/129", "1.2.3", "::1::2", "abc", "1.2.3.4/x"])("refuses %s", (text) => {
    expect(parseIpRange(text)).toBeUndefined();
  });
});

describe("a key's IP allowlist", () => {
  it("admits IPv4 and IPv6 clients inside its ranges and refuses others with 403 ip_not_allowed", async () => {
    const created = await createKey(gateway, { ipAllowlist: ["203.0.113.0/24", "2001:db8::/32", "198.51.100.9"] });
    for (const ip of ["203.0.113.200", "2001:db8:1::5", "198.51.100.9"]) {
      expect((await withKey(gateway, "/api/x", created.key, from(ip))).status).toBe(200);
    }
    for (const ip of ["203.0.114.1", "2001:db9::1", "198.51.100.10", "unknown"]) {
      const problem = await expectProblem(await withKey(gateway, "/api/x", created.key, from(ip)), 403, "ip_not_allowed");
      expect(problem.detail, "names the address seen").toBe(`The client IP ${ip} is not in the key's allowlist.`);
    }
  });

  it("admits every client when the list is empty", async () => {
    const created = await createKey(gateway);
    expect((await withKey(gateway, "/api/x", created.key, from("192.0.2.1"))).status).toBe(200);
  });
});

describe("a key's scopes against the route's", () => {
  it("admits a key holding every required scope", async () => {
    const created = await createKey(gateway, { scopes: ["read", "write", "admin"] });
    expect((await withKey(gateway, "/scoped/x", created.key)).status).toBe(200);
  });

  it("refuses a key missing one with 403 insufficient_scope naming it", async () => {
    const created = await createKey(gateway, { scopes: ["read"] });
    const problem = await expectProblem(await withKey(gateway, "/scoped/x", created.key), 403, "insufficient_scope");
    expect(problem.detail).toContain("write");
  });
});
