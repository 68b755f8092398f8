// The identity object of the admin API (docs/identities.md): create and update bodies, the schema, the row's presentation,
// and the lookups that refuse a body naming an identity or plan that does not exist.
import { z } from "@hono/zod-openapi";
import { rateLimitSchema } from "../config/schema";
import type { Database } from "../db/client";
import type { IdentityRow } from "../db/schema";
import { GatewayError } from "../errors";
import { getIdentityWithPlan, type IdentityWithPlan, identityIdByExternalId } from "../identities/store";
import { QuotaSchema } from "../keys/quota";
import { getPlanRow, type PlanRow } from "../plans/store";
import { keyFields } from "./key-object";

/** A union, not `.nullable()`: the OpenAPI generator drops the null from a nullable named schema. */
const nullableQuota = z.union([QuotaSchema, z.null()]);

const externalId = z
  .string()
  .min(1)
  .max(200)
  .openapi({ description: "Your own id for the customer; unique among identities.", example: "customer_4711" });
const name = z.string().min(1).max(200).openapi({ example: "Acme Corp" });
const planId = z.string().min(1).max(64).openapi({
  description: "The plan whose rate limits and quota apply where the identity sets none of its own (docs/plans.md).",
  example: "pln_3kT9vQm2WcX8rB1nLd5ZsY",
});

export const CreateIdentityBody = z
  .object({
    externalId,
    name: name.optional(),
    metadata: keyFields.metadata.optional(),
    enabled: keyFields.enabled.optional(),
    rateLimits: keyFields.rateLimits.optional(),
    quota: keyFields.quota.optional(),
    planId: planId.optional(),
  })
  .strict()
  .openapi("CreateIdentity");

/** Any field of a create; null clears `name`, `quota` and `planId`. */
export const UpdateIdentityBody = z
  .object({
    externalId: externalId.optional(),
    name: name.nullable().optional(),
    metadata: keyFields.metadata.optional(),
    enabled: keyFields.enabled.optional(),
    rateLimits: keyFields.rateLimits.optional(),
    quota: nullableQuota.optional(),
    planId: planId.nullable().optional(),
  })
  .strict()
  .refine((body) => Object.keys(body).length > 0, "give at least one field to change")
  .openapi("UpdateIdentity", { minProperties: 1 });

export const IdentitySchema = z
  .object({
    id: z.string().openapi({ example: "idt_7QbV8kq1t4NfW2xYpQ7mHs" }),
    externalId: z.string(),
    name: z.string().nullable(),
    metadata: z.record(z.string(), z.unknown()),
    enabled: z.boolean().openapi({ description: "false refuses every key of the identity with `401 disabled_key`." }),
    rateLimits: z.array(rateLimitSchema).openapi({
      description: "Shared by all its keys, on top of their own limits; named `identity.<name>` in the `RateLimit` headers.",
    }),
    quota: nullableQuota,
    planId: z
      .string()
      .nullable()
      .openapi({ description: "Its plan, or null; its own `rateLimits` and `quota` replace the plan's where set." }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("Identity");

export const IdentityIdParam = z.object({
  id: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: "id", in: "path" }, example: "idt_7QbV8kq1t4NfW2xYpQ7mHs" }),
});

export type IdentityObject = z.infer<typeof IdentitySchema>;

const iso = (ms: number) => new Date(ms).toISOString();

export function toIdentityObject(row: IdentityRow): IdentityObject {
  return {
    id: row.id,
    externalId: row.externalId,
    name: row.name,
    metadata: row.metadata,
    enabled: row.enabled,
    rateLimits: row.rateLimits,
    quota: row.quota ?? null,
    planId: row.planId,
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}

/** The identity a key body names, with its plan; one that does not exist is refused like any other bad field. */
export async function namedIdentity(db: Database, id: string): Promise<IdentityWithPlan> {
  const found = await getIdentityWithPlan(db, id);
  if (!found) throw new GatewayError("invalid_request", `identityId: no identity with id ${id}`);
  return found;
}

/** The plan an identity body names; one that does not exist is refused like any other bad field. */
export async function namedPlan(db: Database, id: string): Promise<PlanRow> {
  const row = await getPlanRow(db, id);
  if (!row) throw new GatewayError("invalid_request", `planId: no plan with id ${id}`);
  return row;
}

/** The conflict of a taken `externalId`, naming the identity that holds it so the caller can use or update that one. */
export async function externalIdTaken(db: Database, externalId: string): Promise<GatewayError> {
  const holder = await identityIdByExternalId(db, externalId);
  const which = holder ? `identity ${holder} has it` : "another identity has it";
  return new GatewayError("conflict", `The externalId ${JSON.stringify(externalId)} is taken: ${which}.`);
}
