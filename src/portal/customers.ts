// Customers are identities (docs/portal.md): a first sign-in creates the identity (`externalId` = the
// provider's `sub`) on PORTAL_DEFAULT_PLAN, later ones find it. Two first sign-ins at once create one: the unique index on
// `externalId` refuses the second insert, which then reads the first one's identity.
import type { Context } from "hono";
import { auditEntry } from "../admin/audit";
import { database } from "../db/client";
import type { IdentityRow } from "../db/schema";
import type { Customer, GatewayEnv } from "../env";
import { findIdentityByExternalId, insertIdentity } from "../identities/store";
import { newLocatedId } from "../keys/locator";
import { identityStatus } from "../keys/record";
import { findPlanByName, type PlanRow } from "../plans/store";
import { limiterClient } from "../ratelimit/client";
import type { VerifiedClaims } from "./oidc";

/** PORTAL_DEFAULT_PLAN names that named no plan, each logged once per isolate. */
const missingPlans = new Set<string>();

/** The plan a first sign-in puts the customer on; none when PORTAL_DEFAULT_PLAN is unset or names no plan (logged once). */
async function defaultPlan(c: Context<GatewayEnv>): Promise<PlanRow | null> {
  const name = c.get("config").portal.defaultPlan;
  if (!name) return null;
  const plan = await findPlanByName(database(c.env.DB), name);
  if (!plan && !missingPlans.has(name)) {
    missingPlans.add(name);
    console.warn(`PORTAL_DEFAULT_PLAN names no plan (${JSON.stringify(name)}): new customers get an identity without a plan`);
  }
  return plan ?? null;
}

/** The audit `actor` of a customer's own writes. */
export const customerActor = (identityId: string) => `customer:${identityId}`;

/** The signed-in customer's identity: found by its `sub`, or created on the first sign-in. */
export async function customerFor(c: Context<GatewayEnv>, claims: VerifiedClaims): Promise<Customer> {
  const db = database(c.env.DB);
  const customer = (row: IdentityRow): Customer => ({
    identityId: row.id,
    subject: claims.subject,
    email: claims.email,
    name: claims.name,
  });
  const existing = await findIdentityByExternalId(db, claims.subject);
  if (existing) return customer(existing);

  const plan = await defaultPlan(c);
  const now = Date.now();
  const row: IdentityRow = {
    id: newLocatedId("idt"),
    externalId: claims.subject,
    name: claims.name,
    metadata: claims.email === null ? {} : { email: claims.email },
    enabled: true,
    rateLimits: [],
    quota: null,
    createdAt: now,
    updatedAt: now,
    version: 1,
    planId: plan?.id ?? null,
  };
  const { id, createdAt: _, updatedAt: __, version: ___, ...fields } = row;
  const audit = auditEntry("identity.create", null, { identityId: id, ...fields }, now, customerActor(id));
  if (!(await insertIdentity(db, row, audit))) {
    // Another sign-in of the same customer created it meanwhile.
    const created = await findIdentityByExternalId(db, claims.subject);
    if (!created) throw new Error("identity insert refused as a duplicate, yet no identity has that externalId");
    return customer(created);
  }
  // Its object must know its limits before any key of it is used (as the admin API's create does).
  await limiterClient(c).updateIdentity(identityStatus(row, plan));
  return customer(row);
}
