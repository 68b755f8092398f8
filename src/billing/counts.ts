// Usage export (docs/billing.md): each identity's count in one interval, read from the same D1
// usage rollups as the admin usage reports.
import { and, eq, gte, lt, sql } from "drizzle-orm";
import type { Database } from "../db/client";
import { identities, keys, usageRollups } from "../db/schema";
import type { IntervalUsage } from "./events";

/**
 * Allowed requests of every identity with any in [start, end), counted for the keys that belong to
 * it now (as `GET /admin/usage?groupBy=identity` groups them). Refused requests are not billed.
 */
export async function identityUsageIn(db: Database, start: number, end: number): Promise<IntervalUsage[]> {
  const requests = sql<number>`sum(${usageRollups.allowed})`.mapWith(Number);
  const rows = await db
    .select({ identityId: identities.id, externalId: identities.externalId, metadata: identities.metadata, requests })
    .from(usageRollups)
    .innerJoin(keys, eq(keys.id, usageRollups.keyId))
    .innerJoin(identities, eq(identities.id, keys.identityId))
    .where(and(gte(usageRollups.hour, start), lt(usageRollups.hour, end)))
    .groupBy(identities.id)
    .having(sql`sum(${usageRollups.allowed}) > 0`)
    .orderBy(identities.id);
  return rows.map((row) => ({ ...row, start, end }));
}
