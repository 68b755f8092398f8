import { env } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { hashKey } from "../../src/keys/format";
import { createKey, revokeKey } from "../support/admin";
import { call, gatewayEnv, recordingDataset } from "../support/gateway";

const usage = recordingDataset();
const UPSTREAM_SECRET = "upstream-secret-token"; // the UPSTREAM_TOKEN test binding
const gateway = gatewayEnv(
  [
    {
      path: "/api/*",
      upstream: env.UPSTREAM_URL,
      headers: { authorization: "Bearer ${UPSTREAM_TOKEN}" },
      rateLimits: [{ name: "r", limit: 2, window: 60 }],
    },
    { path: "/down/*", upstream: "http://127.0.0.1:1", headers: { authorization: "Bearer ${UPSTREAM_TOKEN}" } },
    { path: "/slow/*", upstream: env.UPSTREAM_URL, timeoutMs: 100, headers: { authorization: "Bearer ${UPSTREAM_TOKEN}" } },
  ],
  { USAGE: usage.dataset },
);

const logged: string[] = [];
beforeAll(() => {
  for (const level of ["log", "info", "warn", "error", "debug"] as const) {
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void logged.push(args.map(String).join(" ")));
  }
});
afterAll(() => vi.restoreAllMocks());

async function transcript(response: Response): Promise<string> {
  return `${response.status} ${JSON.stringify([...response.headers])} ${await response.text()}`;
}

describe("secrets", () => {
  it("never show up in a response, a log line or a usage data point", async () => {
    const created = await createKey(gateway, { name: "secret-holder" });
    const hash = await hashKey(created.key);
    const seen: string[] = [];
    const asKey = { headers: { "x-api-key": created.key } };

    // Upstream answers that do not echo the request: the upstream's own body is not the gateway's to police.
    seen.push(await transcript(await call(gateway, "/api/__status?code=200", asKey)));
    seen.push(await transcript(await call(gateway, "/api/__status?code=500", asKey)));
    seen.push(await transcript(await call(gateway, "/api/__status", asKey))); // 429: over the route limit
    seen.push(await transcript(await call(gateway, "/down/x", asKey)));
    seen.push(await transcript(await call(gateway, "/slow/__hang", asKey)));
    seen.push(await transcript(await call(gateway, "/api/x", { headers: { "x-api-key": `${created.key.slice(0, -1)}0` } })));
    seen.push(
      await transcript(
        await call(gateway, "/_gateway/admin/keys", { method: "POST", headers: { authorization: `Bearer ${env.ADMIN_TOKEN}x` } }),
      ),
    );
    seen.push(
      await transcript(
        await call(gateway, "/_gateway/admin/keys", {
          method: "POST",
          headers: { authorization: `Bearer ${env.ADMIN_TOKEN}`, "content-type": "application/json" },
          body: "{bad",
        }),
      ),
    );
    const verify = (body: unknown) =>
      call(gateway, "/_gateway/verify", {
        method: "POST",
        headers: { authorization: `Bearer ${env.ADMIN_TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    seen.push(await transcript(await verify({ key: created.key })));
    seen.push(await transcript(await verify({ key: created.key, route: "/api/*", cost: 5 }))); // over the route limit
    seen.push(await transcript(await verify({ key: `${created.key.slice(0, -1)}0` })));
    seen.push(await transcript(await revokeKey(gateway, created.id)));
    seen.push(await transcript(await verify({ key: created.key })));
    seen.push(await transcript(await call(gateway, "/api/x", asKey)));

    const everything = [...seen, ...logged, JSON.stringify(usage.points)].join("\n");
    expect(usage.points.length).toBeGreaterThanOrEqual(7);
    for (const secret of [created.key, created.key.slice(12), hash, env.ADMIN_TOKEN, UPSTREAM_SECRET]) {
      expect(everything).not.toContain(secret);
    }
  });
});
