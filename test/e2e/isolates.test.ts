// Several gateway isolates (separate workers in one workerd) sharing one D1 and one Durable
// Object namespace: what one key's limits and revocation guarantee across locations.
import { describe, expect, it } from "vitest";
import { isolatesForFile } from "../support/isolates.ts";

const ISOLATES = 4;
const LEASE_TTL_MS = 400;
const isolates = isolatesForFile(ISOLATES, LEASE_TTL_MS);

/** Status of one request through isolate `index`, body drained. */
async function statusVia(index: number, key: string): Promise<number> {
  const response = await isolates.fetch(index, isolates.apiPath, { headers: { "x-api-key": key } });
  await response.arrayBuffer();
  return response.status;
}

/** Code of a problem response, or the bare status for a success. */
async function outcomeVia(index: number, key: string): Promise<string> {
  const response = await isolates.fetch(index, isolates.apiPath, { headers: { "x-api-key": key } });
  if (response.ok) {
    await response.arrayBuffer();
    return String(response.status);
  }
  return ((await response.json()) as { code: string }).code;
}

/**
 * Sends requests through `index` until `until`; every request *sent* after `revokedAt + bound` must
 * be refused as revoked (one sent earlier may still be answered from before the revocation).
 */
async function expectRevokedWithin(index: number, key: string, revokedAt: number, bound: number, until: number): Promise<void> {
  const late: string[] = [];
  while (Date.now() < until) {
    const sentAt = Date.now();
    const outcome = await outcomeVia(index, key);
    if (sentAt > revokedAt + bound) late.push(outcome);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  expect(late.length).toBeGreaterThan(0);
  expect(new Set(late)).toEqual(new Set(["revoked_key"]));
}

describe(`${ISOLATES} gateway isolates sharing one key store and Durable Objects`, () => {
  it("admit at most a key's limit between them under parallel load through every socket, and exactly it once leases have turned over", async () => {
    const limit = 40;
    const { key } = await isolates.createKey({ rateLimits: [{ name: "minute", limit, window: 60 }] });
    await isolates.upstream.reset();
    const statuses = await Promise.all(Array.from({ length: 30 * ISOLATES }, (_, i) => statusVia(i % ISOLATES, key)));
    const burst = statuses.filter((s) => s === 200).length;
    // A unit one isolate holds unused when the burst ends comes back with its report, within
    // LEASE_TTL_MS (docs/rate-limits.md "Round trips per request"): about one slice per isolate, at most 1/8 of what was free.
    expect(burst).toBeLessThanOrEqual(limit);
    expect(burst).toBeGreaterThanOrEqual(limit - ISOLATES * Math.ceil(limit / 8));
    expect(statuses.filter((s) => s === 429)).toHaveLength(30 * ISOLATES - burst);
    let admitted = burst;
    const deadline = Date.now() + 10 * LEASE_TTL_MS;
    while (admitted < limit && Date.now() < deadline) for (let i = 0; i < ISOLATES; i++) if ((await statusVia(i, key)) === 200) admitted++;
    expect(admitted).toBe(limit);
    for (let i = 0; i < ISOLATES; i++) expect(await statusVia(i, key)).toBe(429);
    expect(await isolates.upstream.received()).toBe(limit);
  });

  it("refuse a key revoked through isolate 0 everywhere within LEASE_TTL_MS", async () => {
    const { key, id } = await isolates.createKey({ rateLimits: [{ name: "minute", limit: 1_000, window: 60 }] });
    for (let i = 0; i < ISOLATES; i++) expect(await statusVia(i, key)).toBe(200);

    expect((await isolates.admin(0, "DELETE", `/keys/${id}`)).status).toBe(204);
    const revokedAt = Date.now();
    expect(await outcomeVia(0, key)).toBe("revoked_key");
    const until = revokedAt + LEASE_TTL_MS + 600;
    await Promise.all(Array.from({ length: ISOLATES - 1 }, (_, i) => expectRevokedWithin(i + 1, key, revokedAt, LEASE_TTL_MS, until)));
  });

  it("refuse a revoked key within LEASE_TTL_MS even in isolates that were refusing it for its limit", async () => {
    const { key, id } = await isolates.createKey({ rateLimits: [{ name: "minute", limit: 2, window: 60 }] });
    const statuses = [];
    for (let i = 0; i < ISOLATES; i++) statuses.push(await statusVia(i, key), await statusVia(i, key));
    expect(statuses.filter((s) => s === 200)).toHaveLength(2);
    expect(statuses.slice(-2)).toEqual([429, 429]);

    expect((await isolates.admin(0, "DELETE", `/keys/${id}`)).status).toBe(204);
    const revokedAt = Date.now();
    const until = revokedAt + LEASE_TTL_MS + 600;
    await Promise.all(Array.from({ length: ISOLATES - 1 }, (_, i) => expectRevokedWithin(i + 1, key, revokedAt, LEASE_TTL_MS, until)));
  });
});
