// A bounded soak on loopback: many keys, hundreds of concurrent connections. It must end with no
// gateway-made 5xx and exact accounting: the upstream received exactly what the gateway admitted.

import { existsSync, mkdtempSync } from "node:fs";
import { Agent, request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EchoUpstream, startEchoUpstream } from "../../dev/echo-upstream.ts";
import type { LocalGateway } from "../../dev/local-gateway.ts";
import { startGateway } from "./support/gateway.ts";

// 6 s in `npm test`; `SOAK_SECONDS=60 npm test -- test/e2e/soak.test.ts` for a longer soak (test/README.md).
const SECONDS = Number(process.env.SOAK_SECONDS ?? 6);
const CONNECTIONS = Number(process.env.SOAK_CONNECTIONS ?? 200);
const KEYS = 40;
const ADMIN_TOKEN = "soak-admin-token";

let upstream: EchoUpstream;
let gateway: LocalGateway;
const tmpdirBefore = process.env.TMPDIR;

beforeAll(async () => {
  // State on tmpfs: local workerd fsyncs every Durable Object write on its only thread, which on
  // this disk, not the gateway, would set the pace (production storage does not block that way).
  if (existsSync("/dev/shm")) process.env.TMPDIR = mkdtempSync("/dev/shm/gateway-soak-");
  upstream = await startEchoUpstream();
  gateway = await startGateway({
    bindings: { ADMIN_TOKEN, GATEWAY_ROUTES: JSON.stringify([{ path: "/api/*", upstream: upstream.url, stripPrefix: true }]) },
  });
});

afterAll(async () => {
  await gateway?.dispose();
  await upstream?.close();
  // The next file in this Node process (e2e files share one) keeps its own TMPDIR.
  if (tmpdirBefore === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = tmpdirBefore;
});

interface Tally {
  byStatus: Map<number, number>;
  gatewayErrors: string[];
  admittedByKey: Map<string, number>;
}

describe("soak", () => {
  it(`serves ${CONNECTIONS} connections for ${SECONDS} s with exact accounting and no 5xx`, {
    timeout: (SECONDS + 120) * 1000,
  }, async () => {
    const keys: { key: string; id: string; limit: number }[] = [];
    for (let i = 0; i < KEYS; i++) {
      // Some keys run into their limit during the soak, some never do.
      const limit = i % 2 === 0 ? 10 + (i % 7) : 1_000_000;
      const response = await fetch(`${gateway.url}/_gateway/admin/keys`, {
        method: "POST",
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify({ name: `soak-${i}`, rateLimits: [{ name: "window", limit, window: 3600 }] }),
      });
      const created = (await response.json()) as { key: string; id: string };
      keys.push({ ...created, limit });
    }
    upstream.reset();

    const dispatcher = new Agent({ connections: CONNECTIONS, pipelining: 1, keepAliveTimeout: 30_000 });
    const tally: Tally = { byStatus: new Map(), gatewayErrors: [], admittedByKey: new Map() };
    const deadline = Date.now() + SECONDS * 1000;
    const worker = async (n: number) => {
      for (let i = n; Date.now() < deadline; i += CONNECTIONS) {
        const k = keys[i % keys.length]!;
        const response = await request(`${gateway.url}/api/items/${i}`, { dispatcher, headers: { "x-api-key": k.key } });
        const body = await response.body.text();
        tally.byStatus.set(response.statusCode, (tally.byStatus.get(response.statusCode) ?? 0) + 1);
        if (response.statusCode === 200) tally.admittedByKey.set(k.id, (tally.admittedByKey.get(k.id) ?? 0) + 1);
        if (response.statusCode >= 500) tally.gatewayErrors.push(body);
      }
    };
    await Promise.all(Array.from({ length: CONNECTIONS }, (_, n) => worker(n)));
    await dispatcher.close();

    const admitted = tally.byStatus.get(200) ?? 0;
    const total = [...tally.byStatus.values()].reduce((a, b) => a + b, 0);
    console.log(
      `soak: ${total} requests in ${SECONDS} s (${Math.round(total / SECONDS)}/s), statuses ${JSON.stringify(Object.fromEntries(tally.byStatus))}`,
    );
    expect(tally.gatewayErrors).toEqual([]);
    expect([...tally.byStatus.keys()].sort()).toEqual(tally.byStatus.has(429) ? [200, 429] : [200]);
    expect(upstream.received()).toBe(admitted);
    for (const k of keys) {
      if (k.limit < 1_000_000) expect(tally.admittedByKey.get(k.id) ?? 0).toBeLessThanOrEqual(k.limit);
    }
    expect(tally.byStatus.get(429) ?? 0).toBeGreaterThan(0);

    // The keys' own usage rollups agree with what the clients saw admitted. Requests admitted from a
    // lease reach the key's object with the isolate's next report, at most a lease TTL (1 s) after it ends.
    const allowedOf = async (id: string) => {
      const response = await fetch(`${gateway.url}/_gateway/admin/keys/${id}/usage?granularity=day`, {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      const { buckets } = (await response.json()) as { buckets: { allowed: number; rateLimited: number }[] };
      return buckets.reduce((sum, b) => sum + b.allowed, 0);
    };
    for (const k of keys) {
      await expect.poll(() => allowedOf(k.id), { timeout: 5_000, interval: 250, message: k.id }).toBe(tally.admittedByKey.get(k.id) ?? 0);
    }
  });
});
