// Identities across several gateway isolates sharing one D1 and one Durable Object namespace: the
// identity's object decides for all its keys, so its shared limit holds however requests are spread
// over keys and isolates, and disabling it reaches every isolate within LEASE_TTL_MS.
import { describe, expect, it } from "vitest";
import { isolatesForFile } from "../support/isolates.ts";

const ISOLATES = 4;
const LEASE_TTL_MS = 1000;
const isolates = isolatesForFile(ISOLATES, LEASE_TTL_MS);

interface Outcome {
  status: number;
  code: string | undefined;
  /** `r` of the `RateLimit` header, and the policy it is about. */
  remaining: number | undefined;
  policy: string | undefined;
}

async function send(index: number, key: string): Promise<Outcome> {
  const response = await isolates.fetch(index, isolates.apiPath, { headers: { "x-api-key": key } });
  const header = response.headers.get("ratelimit")?.match(/^"([^"]+)";r=(\d+)/);
  let code: string | undefined;
  if (response.ok) await response.arrayBuffer();
  else code = ((await response.json()) as { code: string }).code;
  return { status: response.status, code, remaining: header ? Number(header[2]) : undefined, policy: header?.[1] };
}

async function createIdentity(body: Record<string, unknown>): Promise<{ id: string }> {
  const response = await isolates.admin(0, "POST", "/identities", { externalId: `customer_${crypto.randomUUID()}`, ...body });
  expect(response.status).toBe(201);
  return (await response.json()) as { id: string };
}

const perTenMinutes = (limit: number) => [{ name: "ten-minutes", limit, window: 600 }];

describe(`identities across ${ISOLATES} gateway isolates`, () => {
  // A slow lease granted during the burst may hold a unit unused until it is reported, within
  // LEASE_TTL_MS (docs/rate-limits.md "Slow keys"): at most the limit then, exactly once it is back.
  it("admit at most the identity's 100 of 150 parallel requests split over two keys of 80 and every isolate, and exactly 100 once leases are reported", async () => {
    const identity = await createIdentity({ rateLimits: [{ name: "minute", limit: 100, window: 60 }] });
    const keys = await Promise.all(
      [0, 1].map(() => isolates.createKey({ identityId: identity.id, rateLimits: [{ name: "minute", limit: 80, window: 60 }] })),
    );
    await isolates.upstream.reset();
    const outcomes = await Promise.all(Array.from({ length: 150 }, (_, i) => send(i % ISOLATES, keys[i % 2]!.key)));
    const burst = outcomes.filter((o) => o.status === 200).length;
    expect(burst).toBeLessThanOrEqual(100);
    // Units an isolate holds unused when the burst ends come back with its report (docs/rate-limits.md
    // "Round trips per request"); each holds about one slice, at most 1/8 of what was free.
    expect(burst).toBeGreaterThanOrEqual(100 - ISOLATES * Math.ceil(100 / 8));
    expect(outcomes.filter((o) => o.code === "rate_limited")).toHaveLength(150 - burst);
    let admitted = burst;
    const deadline = Date.now() + 10 * LEASE_TTL_MS;
    while (admitted < 100 && Date.now() < deadline)
      for (let i = 0; i < ISOLATES; i++) if ((await send(i, keys[i % 2]!.key)).status === 200) admitted++;
    expect(admitted).toBe(100);
    for (let i = 0; i < ISOLATES; i++) expect((await send(i, keys[i % 2]!.key)).code).toBe("rate_limited");
    expect(await isolates.upstream.received()).toBe(100);
  });

  it("never admit more than the identity's limit while its keys lease from its object, and report an honest r", async () => {
    const limit = 600;
    const identity = await createIdentity({ rateLimits: perTenMinutes(limit) });
    const keys = await Promise.all([0, 1].map(() => isolates.createKey({ identityId: identity.id, rateLimits: perTenMinutes(480) })));
    await isolates.upstream.reset();
    let admitted = 0;
    const perKey = [0, 0];
    const dishonest: string[] = [];
    const loop = async (n: number) => {
      const which = n % 2;
      for (let i = 0; i < 60; i++) {
        const admittedBefore = admitted;
        const outcome = await send(n % ISOLATES, keys[which]!.key);
        if (outcome.status === 200) {
          admitted++;
          perKey[which]!++;
        }
        // The shared policy has at most limit − what was admitted before this request was sent.
        if (outcome.policy === "identity.ten-minutes" && outcome.remaining! > limit - admittedBefore)
          dishonest.push(`r=${outcome.remaining} after ${admittedBefore}`);
      }
    };
    await Promise.all(Array.from({ length: ISOLATES * 4 }, (_, n) => loop(n)));
    expect(dishonest).toEqual([]);
    expect(admitted).toBeLessThanOrEqual(limit);
    expect(perKey[0]).toBeLessThanOrEqual(480);
    expect(perKey[1]).toBeLessThanOrEqual(480);
    expect(await isolates.upstream.received()).toBe(admitted);
  });

  it("refuse every key of an identity disabled through isolate 0 within LEASE_TTL_MS, in isolates holding leases", async () => {
    const identity = await createIdentity({ rateLimits: perTenMinutes(1_000_000) });
    const keys = await Promise.all([0, 1].map(() => isolates.createKey({ identityId: identity.id })));
    // Busy enough on every isolate that each holds leases on both keys.
    await Promise.all(
      Array.from({ length: ISOLATES * 4 }, async (_, n) => {
        for (let i = 0; i < 40; i++) await send(n % ISOLATES, keys[n % 2]!.key);
      }),
    );

    expect((await isolates.admin(0, "PATCH", `/identities/${identity.id}`, { enabled: false })).status).toBe(200);
    const disabledAt = Date.now();
    for (const { key } of keys) expect((await send(0, key)).code).toBe("disabled_key");
    const late: (string | undefined)[] = [];
    const watch = async (index: number, key: string) => {
      while (Date.now() < disabledAt + LEASE_TTL_MS + 800) {
        const sentAt = Date.now();
        const outcome = await send(index, key);
        if (sentAt > disabledAt + LEASE_TTL_MS) late.push(outcome.code);
      }
    };
    await Promise.all(Array.from({ length: ISOLATES - 1 }, (_, i) => keys.map(({ key }) => watch(i + 1, key))).flat());
    expect(late.length).toBeGreaterThan(0);
    expect(new Set(late)).toEqual(new Set(["disabled_key"]));
  });
});
