import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { admin, createKey } from "../support/admin";
import { expectProblem, gatewayEnv, json, withKey } from "../support/gateway";

const gateway = gatewayEnv([{ path: "/api/*", upstream: env.UPSTREAM_URL }]);

interface Bucket {
  start: string;
  allowed: number;
  rateLimited: number;
  quotaExceeded: number;
}

const HOUR = 3_600_000;

describe("GET /_gateway/admin/keys/:id/usage", () => {
  it("counts allowed, rate-limited and quota-exceeded requests in the current hour", async () => {
    const created = await createKey(gateway, {
      rateLimits: [{ name: "minute", limit: 3, window: 60 }],
      quota: { limit: 4, period: "day" },
    });
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await withKey(gateway, "/api/x", created.key)).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    // Raising the rate limit leaves one unit of quota: one more allowed, then quota refusals.
    await json(await admin(gateway, "PATCH", `/keys/${created.id}`, { rateLimits: [{ name: "minute", limit: 100, window: 60 }] }), 200);
    for (let i = 0; i < 3; i++) await withKey(gateway, "/api/x", created.key);

    const { buckets } = await json<{ buckets: Bucket[] }>(await admin(gateway, "GET", `/keys/${created.id}/usage`), 200);
    expect(buckets.length).toBeGreaterThanOrEqual(24);
    const hourStart = new Date(Date.now() - (Date.now() % HOUR)).toISOString();
    expect(buckets.at(-1)).toEqual({ start: hourStart, allowed: 4, rateLimited: 2, quotaExceeded: 2 });
    expect(buckets.slice(0, -1).every((b) => b.allowed + b.rateLimited + b.quotaExceeded === 0)).toBe(true);
  });

  it("rolls hours up into UTC days and zero-fills the range", async () => {
    const created = await createKey(gateway);
    await withKey(gateway, "/api/x", created.key);
    await withKey(gateway, "/api/x", created.key);
    const today = new Date(Date.now() - (Date.now() % (24 * HOUR)));
    const from = new Date(today.getTime() - 6 * 24 * HOUR).toISOString();
    const to = new Date(today.getTime() + 24 * HOUR).toISOString();
    const { buckets } = await json<{ buckets: Bucket[] }>(
      await admin(gateway, "GET", `/keys/${created.id}/usage?granularity=day&from=${from}&to=${to}`),
      200,
    );
    expect(buckets).toHaveLength(7);
    expect(buckets[0]!.start).toBe(from);
    expect(buckets.at(-1)).toEqual({ start: today.toISOString(), allowed: 2, rateLimited: 0, quotaExceeded: 0 });
  });

  it("keeps counting across a rotation: usage belongs to the key id", async () => {
    const created = await createKey(gateway);
    await withKey(gateway, "/api/x", created.key);
    const rotated = await json<{ key: string }>(await admin(gateway, "POST", `/keys/${created.id}/rotate`), 201);
    await withKey(gateway, "/api/x", rotated.key);
    const { buckets } = await json<{ buckets: Bucket[] }>(await admin(gateway, "GET", `/keys/${created.id}/usage`), 200);
    expect(buckets.at(-1)!.allowed).toBe(2);
  });

  it("refuses bad ranges and granularities, naming the field", async () => {
    const created = await createKey(gateway);
    const base = `/keys/${created.id}/usage`;
    expect((await expectProblem(await admin(gateway, "GET", `${base}?granularity=minute`), 400, "invalid_request")).detail).toContain(
      "granularity",
    );
    expect((await expectProblem(await admin(gateway, "GET", `${base}?from=yesterday`), 400, "invalid_request")).detail).toContain("from");
    expect(
      (
        await expectProblem(
          await admin(gateway, "GET", `${base}?from=2027-01-02T00:00:00Z&to=2027-01-01T00:00:00Z`),
          400,
          "invalid_request",
        )
      ).detail,
    ).toContain("from");
    expect(
      (
        await expectProblem(
          await admin(gateway, "GET", `${base}?from=2027-01-01T00:00:00Z&to=2027-03-01T00:00:00Z`),
          400,
          "invalid_request",
        )
      ).detail,
    ).toContain("to");
  });

  it("answers 404 for an unknown id", async () => {
    await expectProblem(await admin(gateway, "GET", "/keys/key_nope/usage"), 404, "not_found");
  });
});
