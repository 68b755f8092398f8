// The audit log's vocabulary (docs/operators.md § Audit log): the actions it records, the key fields it may show,
// and `auditEntry()`, which every admin write uses to build the row it stores in the same transaction.
import { z } from "@hono/zod-openapi";
import type { NewAuditRow } from "../db/schema";
import type { KeyObject } from "./key-object";

/** What an audit entry records: one schema for the audit API, the OpenAPI document and the DB column's type. */
export const AuditActionSchema = z
  .enum([
    "key.create",
    "key.update",
    "key.revoke",
    "key.rotate",
    "key.import",
    "key.import_prefix.delete",
    "operator.create",
    "operator.revoke",
    "webhook.create",
    "webhook.update",
    "webhook.delete",
    "webhook.rotate_secret",
    "identity.create",
    "identity.update",
    "identity.delete",
    "plan.create",
    "plan.update",
    "plan.delete",
  ])
  .openapi("AuditAction");

export type AuditAction = z.infer<typeof AuditActionSchema>;

/** Key object fields an audit entry may show: everything but timestamps it records itself. */
const AUDITED_FIELDS = [
  "name",
  "owner",
  "start",
  "scopes",
  "rateLimits",
  "routeRateLimits",
  "quota",
  "ipAllowlist",
  "metadata",
  "enabled",
  "expiresAt",
  "revokedAt",
  "identityId",
] as const;

export type AuditedField = (typeof AUDITED_FIELDS)[number];

/**
 * An audit row: `changes` only ever holds values that are safe to show (never a key, token or hash).
 * `keyId` is null for writes to operator tokens; `actor` is `auditActor(c)`.
 */
export function auditEntry(
  action: AuditAction,
  keyId: string | null,
  changes: Partial<Record<AuditedField, unknown>> & Record<string, unknown>,
  at: number,
  actor: string,
): NewAuditRow {
  return { at, action, keyId, actor, changes };
}

/** A new key's audited fields, as the key object shows them. */
export function createdFields(key: KeyObject): Partial<Record<AuditedField, unknown>> {
  const fields: Partial<Record<AuditedField, unknown>> = {};
  for (const field of AUDITED_FIELDS) if (field !== "revokedAt") fields[field] = key[field];
  return fields;
}
