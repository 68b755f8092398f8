import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { database } from "../../src/db/client";
import type { IdentityRow, PlanRow } from "../../src/db/schema";
import { getIdentityRow, insertIdentity } from "../../src/identities/store";
import { deletePlanRow, findPlanByName, getPlanRow, insertPlan, listPlanRows, planMemberCount, updatePlanRow } from "../../src/plans/store";

const db = database(env.DB);
const audit = (action: "plan.create" | "plan.update" | "plan.delete" | "identity.create") => ({
  at: Date.now(),
  action,
  keyId: null,
  actor: "admin",
  changes: {},
});

function planRow(fields: Partial<PlanRow> = {}): PlanRow {
  const now = Date.now();
  return {
    id: `pln_${crypto.randomUUID()}`,
    name: `plan ${crypto.randomUUID()}`,
    rateLimits: [{ name: "second", limit: 10, window: 1 }],
    quota: { limit: 1000, period: "month" },
    allowedScopes: ["read"],
    maxKeys: 3,
    createdAt: now,
    updatedAt: now,
    ...fields,
  };
}

function identityRow(planId: string | null): IdentityRow {
  const now = Date.now();
  return {
    id: `idt_${crypto.randomUUID()}`,
    externalId: crypto.randomUUID(),
    name: null,
    metadata: {},
    enabled: true,
    rateLimits: [],
    quota: null,
    createdAt: now,
    updatedAt: now,
    version: 1,
    planId,
  };
}

describe("the plan store", () => {
  it("keeps a plan's fields and finds it by id and by name", async () => {
    const row = planRow({ allowedScopes: null, maxKeys: null, quota: null });
    expect(await insertPlan(db, row, audit("plan.create"))).toBe(true);
    expect(await getPlanRow(db, row.id)).toEqual(row);
    expect(await findPlanByName(db, row.name)).toEqual(row);
    expect(await getPlanRow(db, "pln_missing")).toBeUndefined();
    expect(await findPlanByName(db, "no such plan")).toBeUndefined();
  });

  it("refuses a second plan with a taken name", async () => {
    const first = planRow();
    expect(await insertPlan(db, first, audit("plan.create"))).toBe(true);
    expect(await insertPlan(db, planRow({ name: first.name }), audit("plan.create"))).toBe(false);
  });

  it("pages plans in id order", async () => {
    for (let i = 0; i < 3; i++) await insertPlan(db, planRow(), audit("plan.create"));
    const first = await listPlanRows(db, { limit: 2 });
    expect(first.rows).toHaveLength(2);
    expect(first.lastId).toBe(first.rows[1]?.id);
    const next = await listPlanRows(db, { limit: 2, afterId: first.lastId });
    expect((next.rows[0]?.id ?? "") > (first.lastId ?? "")).toBe(true);
  });

  it("bumps the version of each identity on the plan when its limits change, and only then", async () => {
    const plan = planRow();
    await insertPlan(db, plan, audit("plan.create"));
    const on = identityRow(plan.id);
    const off = identityRow(null);
    await insertIdentity(db, on, audit("identity.create"));
    await insertIdentity(db, off, audit("identity.create"));

    const renamed = await updatePlanRow(db, plan.id, { name: `${plan.name} renamed` }, Date.now(), audit("plan.update"));
    expect(renamed?.members).toEqual([]);
    expect((await getIdentityRow(db, on.id))?.version).toBe(1);

    const quota = { limit: 5, period: "day" as const };
    const changed = await updatePlanRow(db, plan.id, { quota }, Date.now(), audit("plan.update"));
    expect(changed?.plan.quota).toEqual(quota);
    expect(changed?.members.map((m) => [m.id, m.version])).toEqual([[on.id, 2]]);
    expect((await getIdentityRow(db, off.id))?.version).toBe(1);
    expect(await updatePlanRow(db, "pln_missing", { quota }, Date.now(), audit("plan.update"))).toBeUndefined();
  });

  it("deletes a plan only when no identity is on it", async () => {
    const plan = planRow();
    await insertPlan(db, plan, audit("plan.create"));
    await insertIdentity(db, identityRow(plan.id), audit("identity.create"));
    await insertIdentity(db, identityRow(plan.id), audit("identity.create"));
    expect(await planMemberCount(db, plan.id)).toBe(2);
    expect(await deletePlanRow(db, plan.id, audit("plan.delete"))).toBe(false);
    expect(await getPlanRow(db, plan.id)).toBeDefined();

    const unused = planRow();
    await insertPlan(db, unused, audit("plan.create"));
    expect(await deletePlanRow(db, unused.id, audit("plan.delete"))).toBe(true);
    expect(await getPlanRow(db, unused.id)).toBeUndefined();
  });
});
