import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { FAILED_ADMIN_AUTH } from "../../src/admin/auth";
import { call, expectProblem, gatewayEnv } from "../support/gateway";

const gateway = gatewayEnv([{ path: "/api/*", upstream: env.UPSTREAM_URL }]);

const listKeys = (token: string, ip: string) =>
  call(gateway, "/_gateway/admin/keys", {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "cf-connecting-ip": ip, "content-type": "application/json" },
    body: JSON.stringify({ name: "brute" }),
  });

describe("admin token brute force", () => {
  it("blocks an address after too many wrong tokens, even for the right token, and only that address", async () => {
    const attacker = "203.0.113.66";
    for (let i = 0; i < FAILED_ADMIN_AUTH.limit; i++) expect((await listKeys(`guess-${i}`, attacker)).status).toBe(401);
    const blocked = await listKeys("another-guess", attacker);
    expect(blocked.status).toBe(429);
    await expectProblem(blocked, 429, "rate_limited");
    expect(Number(blocked.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await listKeys(env.ADMIN_TOKEN, attacker)).status).toBe(429);
    expect((await listKeys(env.ADMIN_TOKEN, "203.0.113.67")).status).toBe(201);
  });

  it("does not count calls that present no token", async () => {
    const ip = "203.0.113.70";
    for (let i = 0; i < FAILED_ADMIN_AUTH.limit + 5; i++) {
      const response = await call(gateway, "/_gateway/admin/keys", { method: "POST", headers: { "cf-connecting-ip": ip } });
      expect(response.status).toBe(401);
    }
    expect((await listKeys(env.ADMIN_TOKEN, ip)).status).toBe(201);
  });
});

describe("admin token guesses in parallel", () => {
  it("counts each guess before judging it: a right token among parallel guesses past the limit is refused too", async () => {
    const attacker = "203.0.113.80";
    const guesses = Array.from({ length: 40 }, (_, i) => listKeys(`parallel-guess-${i}`, attacker));
    const answers = await Promise.all([...guesses, listKeys(env.ADMIN_TOKEN, attacker)]);
    const statuses = answers.map((response) => response.status);
    expect(statuses.filter((status) => status === 401).length).toBeLessThanOrEqual(FAILED_ADMIN_AUTH.limit);
    expect(statuses.at(-1)).toBe(429);
  });

  it("does not spend the limit on right tokens, however many come at once", async () => {
    const operator = "203.0.113.81";
    const answers = await Promise.all(Array.from({ length: 3 * FAILED_ADMIN_AUTH.limit }, () => listKeys(env.ADMIN_TOKEN, operator)));
    expect(answers.map((response) => response.status)).toEqual(answers.map(() => 201));
  });

  it("judges a token never seen by this isolate once for a burst of parallel calls, refusing none of them", async () => {
    const created = await call(gateway, "/_gateway/admin/operators", {
      method: "POST",
      headers: { authorization: `Bearer ${env.ADMIN_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "burst", scopes: ["keys:write"] }),
    });
    expect(created.status).toBe(201);
    const { token } = (await created.json()) as { token: string };
    const script = "203.0.113.82";
    const answers = await Promise.all(Array.from({ length: 5 * FAILED_ADMIN_AUTH.limit }, () => listKeys(token, script)));
    expect(answers.map((response) => response.status)).toEqual(answers.map(() => 201));
  });
});
