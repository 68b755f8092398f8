// Customers are identities (docs/portal.md): a first sign-in creates the identity (`externalId` = the
// provider's `sub`), later ones find it. Two first sign-ins at once create one: the unique index on
// `externalId` refuses the second insert, which then reads the first one's identity.
import type { Context } from "hono";
import { auditEntry } from "../admin/audit";
import { database } from "../db/client";
import type { IdentityRow } from "../db/schema";
import type { Customer, GatewayEnv } from "../env";
import { findIdentityByExternalId, insertIdentity } from "../identities/store";
import { newId } from "../keys/format";
import { identityStatus } from "../keys/record";
import { effectiveLimits } from "../plans/limits";
import { findPlanByName } from "../plans/store";
import { limiterClient } from "../ratelimit/client";
import type { VerifiedClaims } from "./oidc";

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

  const now = Date.now();
  // A first sign-in joins PORTAL_DEFAULT_PLAN (by name); none when it is unset or names no plan.
  const { defaultPlan } = c.get("config").portal;
  const plan = defaultPlan ? await findPlanByName(db, defaultPlan) : undefined;
  const row: IdentityRow = {
    id: newId("idt"),
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
  await limiterClient(c).updateIdentity({ ...identityStatus(row), ...effectiveLimits(row, plan) });
  return customer(row);
}
