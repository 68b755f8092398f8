// Leases across several gateway isolates (separate workers in one workerd) sharing one D1 and one
// Durable Object namespace: the bound holds, unused units come back, revocation reaches every
// isolate within LEASE_TTL_MS.
import { describe, expect, it, vi } from "vitest";
import { isolatesForFile } from "../support/isolates.ts";

const ISOLATES = 4;
const LEASE_TTL_MS = 1000;
const isolates = isolatesForFile(ISOLATES, LEASE_TTL_MS);

interface Outcome {
  status: number;
  code: string | undefined;
  /** `r` of the `RateLimit` header. */
  remaining: number | undefined;
}

async function send(index: number, key: string): Promise<Outcome> {
  const response = await isolates.fetch(index, isolates.apiPath, { headers: { "x-api-key": key } });
  const remaining = response.headers.get("ratelimit")?.match(/;r=(\d+)/)?.[1];
  let code: string | undefined;
  if (response.ok) await response.arrayBuffer();
  else code = ((await response.json()) as { code: string }).code;
  return { status: response.status, code, remaining: remaining === undefined ? undefined : Number(remaining) };
}

/** `clients` concurrent loops per isolate, `perClient` requests each; checks every `r` against what was admitted before it was sent. */
async function hammer(key: string, limit: number, clients: number, perClient: number): Promise<number> {
  let admitted = 0;
  const dishonest: string[] = [];
  const loop = async (index: number) => {
    for (let i = 0; i < perClient; i++) {
      const admittedBefore = admitted;
      const outcome = await send(index, key);
      if (outcome.status === 200) admitted++;
      // What the key really has left when the answer is given is at most limit − what was admitted before it was asked.
      if (outcome.remaining !== undefined && outcome.remaining > limit - admittedBefore)
        dishonest.push(`r=${outcome.remaining} after ${admittedBefore}`);
    }
  };
  await Promise.all(Array.from({ length: ISOLATES * clients }, (_, n) => loop(n % ISOLATES)));
  expect(dishonest).toEqual([]);
  return admitted;
}

/**
 * Round-robin until the key has admitted `limit` in all (each isolate leases what is left in turn,
 * unused units coming back within LEASE_TTL_MS); then every isolate refuses, and the upstream got exactly `limit`.
 */
async function admitTheRest(key: string, limit: number, admittedSoFar: number): Promise<void> {
  let admitted = admittedSoFar;
  const deadline = Date.now() + 10 * LEASE_TTL_MS;
  while (admitted < limit && Date.now() < deadline) for (let i = 0; i < ISOLATES; i++) if ((await send(i, key)).status === 200) admitted++;
  expect(admitted).toBe(limit);
  for (let i = 0; i < ISOLATES; i++) expect((await send(i, key)).code).toBe("rate_limited");
  expect(await isolates.upstream.received()).toBe(limit);
}

describe(`leases across ${ISOLATES} gateway isolates`, () => {
  it("admit at most the limit while leases are out, and exactly the limit once they have turned over", async () => {
    const limit = 600;
    const { key, id } = await isolates.createKey({ rateLimits: [{ name: "ten-minutes", limit, window: 600 }] });
    await isolates.upstream.reset();

    const first = await hammer(key, limit, 6, 50);
    expect(first).toBeLessThanOrEqual(limit);
    expect(await isolates.upstream.received()).toBe(first);

    // Leases run out within LEASE_TTL_MS and are reported: the key's object gets every unused unit back.
    await vi.waitFor(async () => expect(await isolates.remaining(id, "ten-minutes")).toBe(limit - first), {
      timeout: 10 * LEASE_TTL_MS,
      interval: 100,
    });
    await admitTheRest(key, limit, first);
  });

  it("admit at most 120 of 300 parallel requests spread over every isolate, and exactly 120 once leases have turned over", async () => {
    const limit = 120;
    const { key } = await isolates.createKey({ rateLimits: [{ name: "minute", limit, window: 60 }] });
    await isolates.upstream.reset();
    const outcomes = await Promise.all(Array.from({ length: 300 }, (_, i) => send(i % ISOLATES, key)));
    const burst = outcomes.filter((o) => o.status === 200).length;
    // A request that waited for its isolate's lease call is decided by that answer, so units another
    // isolate holds unused when the burst ends come back only with its report, within LEASE_TTL_MS
    // (docs/rate-limits.md "Round trips per request"); each holds about one slice, at most 1/8 of what was free.
    expect(burst).toBeLessThanOrEqual(limit);
    expect(burst).toBeGreaterThanOrEqual(limit - ISOLATES * Math.ceil(limit / 8));
    expect(outcomes.filter((o) => o.code === "rate_limited")).toHaveLength(300 - burst);
    await admitTheRest(key, limit, burst);
  });

  it.each([
    ["with a limit", [{ name: "ten-minutes", limit: 1_000_000, window: 600 }]],
    ["with no limit (a status lease)", []],
  ])("refuse a key %s revoked through isolate 0 within LEASE_TTL_MS in isolates holding leases on it", async (_, rateLimits) => {
    const { key, id } = await isolates.createKey({ rateLimits });
    // Busy enough on every isolate that each holds a lease.
    await hammer(key, 1_000_000, 4, 40);

    expect((await isolates.admin(0, "DELETE", `/keys/${id}`)).status).toBe(204);
    const revokedAt = Date.now();
    expect((await send(0, key)).code).toBe("revoked_key");
    const late: (string | undefined)[] = [];
    const watch = async (index: number) => {
      while (Date.now() < revokedAt + LEASE_TTL_MS + 800) {
        const sentAt = Date.now();
        const outcome = await send(index, key);
        if (sentAt > revokedAt + LEASE_TTL_MS) late.push(outcome.code);
      }
    };
    await Promise.all(Array.from({ length: ISOLATES - 1 }, (_, i) => watch(i + 1)));
    expect(late.length).toBeGreaterThan(0);
    expect(new Set(late)).toEqual(new Set(["revoked_key"]));
  });
});
