// The operator token object of the admin API (docs/operators.md): the create body, the schema (never a token or hash), the id parameter.
import { z } from "@hono/zod-openapi";
import type { OperatorRow } from "../db/schema";
import { OPERATOR_SCOPES } from "../operators/scopes";

export const OperatorScopeSchema = z.enum(OPERATOR_SCOPES).openapi("OperatorScope");

export const CreateOperatorBody = z
  .object({
    name: z.string().min(1).max(200).openapi({ example: "support desk" }),
    scopes: z
      .array(OperatorScopeSchema)
      .min(1)
      .openapi({ description: "At most the scopes of the token that creates it.", example: ["keys:read", "usage:read"] }),
  })
  .strict()
  .openapi("CreateOperator");

export const OperatorSchema = z
  .object({
    id: z.string().openapi({ example: "op_3ZbV8kq1t4NfW2xYpQ7mHs" }),
    name: z.string(),
    scopes: z.array(OperatorScopeSchema),
    start: z.string().openapi({ description: "Prefix and first 4 body characters of the token.", example: "gop_4Fz9" }),
    createdAt: z.string(),
    revokedAt: z.string().nullable(),
  })
  .openapi("Operator");

/** An operator token as the admin API shows it (never its hash). */
export type OperatorObject = z.infer<typeof OperatorSchema>;

export const CreatedOperatorSchema = OperatorSchema.extend({
  token: z.string().openapi({ description: "The operator token. Shown only in this response.", example: "gop_…" }),
}).openapi("CreatedOperator");

export const OperatorIdParam = z.object({
  id: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: "id", in: "path" }, example: "op_3ZbV8kq1t4NfW2xYpQ7mHs" }),
});

export function toOperatorObject(row: OperatorRow): OperatorObject {
  return {
    id: row.id,
    name: row.name,
    scopes: row.scopes,
    start: row.start,
    createdAt: new Date(row.createdAt).toISOString(),
    revokedAt: row.revokedAt === null ? null : new Date(row.revokedAt).toISOString(),
  };
}
