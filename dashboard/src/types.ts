// The admin API's answers as the page reads them (the key object is the worker's own type).
export type { KeyObject } from "../../src/admin/key-object";

import type { KeyObject } from "../../src/admin/key-object";

export type CreatedKey = KeyObject & { key: string };

/** An identity as the page reads it (the worker's module for it loads D1 code, so its fields are restated). */
export interface IdentityObject {
  id: string;
  externalId: string;
  name: string | null;
  enabled: boolean;
  rateLimits: KeyObject["rateLimits"];
  quota: KeyObject["quota"];
  /** Its plan, whose limits apply where it sets none of its own. */
  planId: string | null;
  metadata: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** One bucket of `GET /keys/:id/usage`: requests by outcome from `start` (ISO) on. */
export interface UsageBucket {
  start: string;
  allowed: number;
  rateLimited: number;
  quotaExceeded: number;
}

/** A bucket of the all-keys report: with the 401s, which belong to no key (absent from an older gateway's report). */
export type ReportBucket = UsageBucket & { unauthorized?: number };

export interface AuditEntry {
  at: string;
  action: string;
  /** Null for writes to operator tokens. */
  keyId: string | null;
  /** The key's name now; absent on a gateway older than the field. */
  keyName?: string | null;
  actor: string;
  /** The operator token's name; null for `admin` and customers. */
  actorName?: string | null;
  changes: Record<string, unknown>;
}

export type Granularity = "hour" | "day";

export type KeyStatus = "active" | "disabled" | "expired" | "revoked";

export function keyStatus(key: KeyObject, now = Date.now()): KeyStatus {
  if (key.revokedAt) return "revoked";
  if (key.expiresAt && Date.parse(key.expiresAt) <= now) return "expired";
  return key.enabled ? "active" : "disabled";
}
