// Plans across several gateway isolates sharing one D1 and one Durable Object namespace: a change to
// a plan's limits, or an identity's move to another plan, reaches every isolate within LEASE_TTL_MS,
// including isolates that hold leases and cached key records from before (docs/plans.md).
import { describe, expect, it } from "vitest";
import { isolatesForFile } from "../support/isolates.ts";

const ISOLATES = 4;
const LEASE_TTL_MS = 1000;
const isolates = isolatesForFile(ISOLATES, LEASE_TTL_MS);

async function send(index: number, key: string): Promise<{ status: number; code: string | undefined }> {
  const response = await isolates.fetch(index, isolates.apiPath, { headers: { "x-api-key": key } });
  if (response.ok) {
    await response.arrayBuffer();
    return { status: response.status, code: undefined };
  }
  return { status: response.status, code: ((await response.json()) as { code: string }).code };
}

async function created<T>(response: Response): Promise<T> {
  expect(response.status, await response.clone().text()).toBe(201);
  return (await response.json()) as T;
}

const createPlan = async (body: Record<string, unknown>) =>
  created<{ id: string }>(await isolates.admin(0, "POST", "/plans", { name: `plan ${crypto.randomUUID()}`, ...body }));
const createIdentity = async (body: Record<string, unknown>) =>
  created<{ id: string }>(await isolates.admin(0, "POST", "/identities", { externalId: `customer_${crypto.randomUUID()}`, ...body }));

const roomy = [{ name: "ten-minutes", limit: 1_000_000, window: 600 }];
/** A limit no earlier request counted against: after the change, at most one request is admitted. */
const single = [{ name: "single", limit: 1, window: 600 }];

/** Two keys of a new identity on `planId`, busy on every isolate so each holds leases and cached records. */
async function busyIdentity(planId: string): Promise<{ identityId: string; keys: string[] }> {
  const identity = await createIdentity({ planId });
  const keys = await Promise.all([0, 1].map(() => isolates.createKey({ identityId: identity.id })));
  await Promise.all(
    Array.from({ length: ISOLATES * 4 }, async (_, n) => {
      for (let i = 0; i < 30; i++) expect((await send(n % ISOLATES, keys[n % 2]!.key)).status).toBe(200);
    }),
  );
  return { identityId: identity.id, keys: keys.map((k) => k.key) };
}

/** Outcomes of requests sent on every other isolate later than `LEASE_TTL_MS` after `changedAt`. */
async function lateOutcomes(keys: string[], changedAt: number): Promise<{ status: number; code: string | undefined }[]> {
  const late: { status: number; code: string | undefined }[] = [];
  const watch = async (index: number, key: string) => {
    while (Date.now() < changedAt + LEASE_TTL_MS + 800) {
      const sentAt = Date.now();
      const outcome = await send(index, key);
      if (sentAt > changedAt + LEASE_TTL_MS) late.push(outcome);
    }
  };
  await Promise.all(Array.from({ length: ISOLATES - 1 }, (_, i) => keys.map((key) => watch(i + 1, key))).flat());
  return late;
}

describe(`plans across ${ISOLATES} gateway isolates`, () => {
  it("apply a plan's new rate limits to its identities' keys on every isolate within LEASE_TTL_MS", async () => {
    const plan = await createPlan({ rateLimits: roomy });
    const { keys } = await busyIdentity(plan.id);

    expect((await isolates.admin(0, "PATCH", `/plans/${plan.id}`, { rateLimits: single })).status).toBe(200);
    const changedAt = Date.now();
    // Here at once: the first request counts against the new limit, the next is refused.
    expect((await send(0, keys[0]!)).status).toBe(200);
    expect((await send(0, keys[1]!)).code).toBe("rate_limited");

    const late = await lateOutcomes(keys, changedAt);
    expect(late.length).toBeGreaterThan(0);
    expect(new Set(late.map((o) => o.code))).toEqual(new Set(["rate_limited"]));
  });

  it("apply an identity's move to another plan on every isolate within LEASE_TTL_MS", async () => {
    const from = await createPlan({ rateLimits: roomy });
    const to = await createPlan({ rateLimits: single });
    const { identityId, keys } = await busyIdentity(from.id);

    expect((await isolates.admin(0, "PATCH", `/identities/${identityId}`, { planId: to.id })).status).toBe(200);
    const changedAt = Date.now();
    expect((await send(0, keys[0]!)).status).toBe(200);
    expect((await send(0, keys[1]!)).code).toBe("rate_limited");

    const late = await lateOutcomes(keys, changedAt);
    expect(late.length).toBeGreaterThan(0);
    expect(new Set(late.map((o) => o.code))).toEqual(new Set(["rate_limited"]));
  });

  it("keep an identity's own limits over its plan's new ones, on every isolate", async () => {
    const plan = await createPlan({ rateLimits: roomy });
    const identity = await createIdentity({ planId: plan.id, rateLimits: roomy });
    const key = await isolates.createKey({ identityId: identity.id });
    for (let i = 0; i < ISOLATES; i++) expect((await send(i, key.key)).status).toBe(200);
    expect((await isolates.admin(0, "PATCH", `/plans/${plan.id}`, { rateLimits: single })).status).toBe(200);
    // Nothing must change: only waiting out the bound (LEASE_TTL_MS) shows the plan's new limit never reaches this identity.
    await new Promise((resolve) => setTimeout(resolve, LEASE_TTL_MS + 100));
    for (let round = 0; round < 3; round++) for (let i = 0; i < ISOLATES; i++) expect((await send(i, key.key)).status).toBe(200);
  });

  it("tell every identity of a plan with 500 identities, and apply the change to each", { timeout: 300_000 }, async () => {
    const plan = await createPlan({ rateLimits: roomy });
    const ids: string[] = [];
    for (let i = 0; i < 500; i += 25)
      ids.push(...(await Promise.all(Array.from({ length: 25 }, () => createIdentity({ planId: plan.id })))).map((x) => x.id));
    // Keys of the first, a middle and the last identity, seen by isolate 1 before the change.
    const sampled = await Promise.all([ids[0]!, ids[250]!, ids[499]!].map((identityId) => isolates.createKey({ identityId })));
    for (const { key } of sampled) expect((await send(1, key)).status).toBe(200);

    const started = performance.now();
    expect((await isolates.admin(0, "PATCH", `/plans/${plan.id}`, { rateLimits: single })).status).toBe(200);
    const elapsed = performance.now() - started;
    console.log(`PATCH /plans/:id with 500 identities on the plan: ${Math.round(elapsed)} ms`);

    // The bound itself: once LEASE_TTL_MS has passed, every isolate applies the change (a poll would spend the single unit).
    await new Promise((resolve) => setTimeout(resolve, LEASE_TTL_MS + 100));
    for (const { key } of sampled) {
      expect((await send(1, key)).status).toBe(200);
      expect((await send(1, key)).code).toBe("rate_limited");
    }
  });
});
