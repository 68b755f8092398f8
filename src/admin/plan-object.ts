/** The plan object of the admin API (docs/plans.md): bodies, the schema and the row's presentation. */
import { z } from "@hono/zod-openapi";
import { rateLimitSchema } from "../config/schema";
import type { PlanRow } from "../db/schema";
import { QuotaSchema } from "../keys/quota";
import { keyFields } from "./key-object";

/** Unions, not `.nullable()`: the OpenAPI generator drops the null from a nullable named schema. */
const nullableQuota = z.union([QuotaSchema, z.null()]);

const name = z.string().min(1).max(200).openapi({ description: "Unique among plans.", example: "Pro" });
const allowedScopes = keyFields.scopes.openapi({
  description: "Scopes a customer may give the keys they create in the portal; absent or null: any.",
  example: ["read"],
});
const maxKeys = z
  .number()
  .int()
  .min(0)
  .max(1_000_000)
  .openapi({ description: "Live (not revoked) keys a customer may hold; absent or null: no limit.", example: 5 });

export const CreatePlanBody = z
  .object({
    name,
    rateLimits: keyFields.rateLimits.optional(),
    quota: keyFields.quota.optional(),
    allowedScopes: allowedScopes.nullable().optional(),
    maxKeys: maxKeys.nullable().optional(),
  })
  .strict()
  .openapi("CreatePlan");

/** Any field of a create; null clears `quota`, `allowedScopes` and `maxKeys`. */
export const UpdatePlanBody = z
  .object({
    name: name.optional(),
    rateLimits: keyFields.rateLimits.optional(),
    quota: nullableQuota.optional(),
    allowedScopes: allowedScopes.nullable().optional(),
    maxKeys: maxKeys.nullable().optional(),
  })
  .strict()
  .refine((body) => Object.keys(body).length > 0, "give at least one field to change")
  .openapi("UpdatePlan");

export const PlanSchema = z
  .object({
    id: z.string().openapi({ example: "pln_3kT9vQm2WcX8rB1nLd5ZsY" }),
    name: z.string(),
    rateLimits: z.array(rateLimitSchema).openapi({
      description: "Shared by all keys of each identity on the plan (per identity), unless the identity sets its own.",
    }),
    quota: nullableQuota,
    allowedScopes: z.array(z.string()).nullable(),
    maxKeys: z.number().int().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("Plan");

export const PlanIdParam = z.object({
  id: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: "id", in: "path" }, example: "pln_3kT9vQm2WcX8rB1nLd5ZsY" }),
});

export type PlanObject = z.infer<typeof PlanSchema>;

const iso = (ms: number) => new Date(ms).toISOString();

export function toPlanObject(row: PlanRow): PlanObject {
  return {
    id: row.id,
    name: row.name,
    rateLimits: row.rateLimits,
    quota: row.quota ?? null,
    allowedScopes: row.allowedScopes ?? null,
    maxKeys: row.maxKeys ?? null,
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}
