// POST /_gateway/verify and proxied requests on one key, across gateway isolates sharing one D1 and
// one Durable Object namespace: they spend one budget, leases included.
import { describe, expect, it, vi } from "vitest";
import { ISOLATES_ADMIN_TOKEN, isolatesForFile } from "../support/isolates.ts";

const ISOLATES = 2;
const LEASE_TTL_MS = 1000;
const isolates = isolatesForFile(ISOLATES, LEASE_TTL_MS);

/** One proxied request (even `n`) or verify call (odd `n`), through every isolate in turn for each kind: whether it was admitted. */
async function admitted(n: number, key: string): Promise<boolean> {
  const index = Math.floor(n / 2) % ISOLATES;
  if (n % 2 === 0) {
    const response = await isolates.fetch(index, isolates.apiPath, { headers: { "x-api-key": key } });
    await response.arrayBuffer();
    return response.status === 200;
  }
  const response = await isolates.fetch(index, "/_gateway/verify", {
    method: "POST",
    headers: { authorization: `Bearer ${ISOLATES_ADMIN_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({ key }),
  });
  const verdict = (await response.json()) as { valid: boolean; code: string };
  expect(response.status).toBe(200);
  return verdict.valid;
}

describe(`verify and proxied requests on one key, across ${ISOLATES} isolates`, () => {
  it("admit at most 100 of 240 parallel calls, half of them verify calls, and exactly 100 once leases have turned over", async () => {
    const limit = 100;
    const { key } = await isolates.createKey({ rateLimits: [{ name: "minute", limit, window: 60 }] });
    await isolates.upstream.reset();
    const outcomes = await Promise.all(Array.from({ length: 240 }, (_, n) => admitted(n, key)));
    const burst = outcomes.filter(Boolean).length;
    // Units one isolate holds unused when the burst ends come back with its report, within LEASE_TTL_MS
    // (docs/rate-limits.md "Round trips per request"); each holds about one slice, at most 1/8 of what was free.
    expect(burst).toBeLessThanOrEqual(limit);
    expect(burst).toBeGreaterThanOrEqual(limit - ISOLATES * Math.ceil(limit / 8));
    expect(await isolates.upstream.received()).toBe(outcomes.filter((ok, n) => ok && n % 2 === 0).length);
    let total = burst;
    const deadline = Date.now() + 10 * LEASE_TTL_MS;
    for (let n = 0; total < limit && Date.now() < deadline; n++) if (await admitted(n, key)) total++;
    expect(total).toBe(limit);
    for (let n = 0; n < 2 * ISOLATES; n++) expect(await admitted(n, key)).toBe(false);
  });

  it("never admit more than a leased limit together, and exactly the limit once leases have turned over", async () => {
    const limit = 400;
    const { key, id } = await isolates.createKey({ rateLimits: [{ name: "ten-minutes", limit, window: 600 }] });
    let total = 0;
    const loop = async (start: number) => {
      for (let n = start; n < start + 60; n++) if (await admitted(n, key)) total++;
    };
    await Promise.all(Array.from({ length: 8 }, (_, client) => loop(client * 60)));
    expect(total).toBeLessThanOrEqual(limit);

    // Leases run out within LEASE_TTL_MS and are reported: the key's object gets every unused unit back.
    const first = total;
    await vi.waitFor(async () => expect(await isolates.remaining(id, "ten-minutes")).toBe(limit - first), {
      timeout: 10 * LEASE_TTL_MS,
      interval: 100,
    });
    // Every kind through every isolate in turn until every unit is admitted; then each of them refuses.
    let n = 0;
    const deadline = Date.now() + 10 * LEASE_TTL_MS;
    for (; total < limit && Date.now() < deadline; n++) if (await admitted(n, key)) total++;
    expect(total).toBe(limit);
    for (const end = n + 2 * ISOLATES; n < end; n++) expect(await admitted(n, key)).toBe(false);
  });
});
