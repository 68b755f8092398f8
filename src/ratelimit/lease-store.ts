// The key object's outstanding leases, in memory and in its SQLite table `leases`.
import { type LeaseEntry, LeaseLedger } from "./lease-ledger";

interface LeaseRow extends Record<string, SqlStorageValue> {
  isolate_id: string;
  lease_id: number;
  limit_ids: string;
  units: number;
  end_ms: number;
  forget_at: number;
  quota_period_start: number | null;
  closed: number;
}

/**
 * The key object's outstanding leases, in memory (a LeaseLedger) and one row each in its SQLite
 * table `leases`, which its schema creates. Rows are written in the caller's turn, so a grant
 * leaves with the answer through the output gate and survives a restart.
 */
export class LeaseStore {
  readonly ledger: LeaseLedger;

  // Raw statements on the hot path: drizzle adds ~1 µs a call prepared, ~20-40 µs built per call (`npm run bench:objects`).
  constructor(private readonly sql: SqlStorage) {
    const entries: LeaseEntry[] = [];
    for (const row of sql.exec<LeaseRow>("SELECT * FROM leases"))
      entries.push({
        isolateId: row.isolate_id,
        leaseId: row.lease_id,
        limitIds: JSON.parse(row.limit_ids) as string[],
        units: row.units,
        end: row.end_ms,
        forgetAt: row.forget_at,
        quotaPeriodStart: row.quota_period_start,
        closed: row.closed === 1,
      });
    this.ledger = new LeaseLedger(entries);
  }

  /** Writes what the ledger changed since the last call. */
  persist(): void {
    const { upserts, deletes } = this.ledger.takeChanges();
    for (const d of deletes) this.sql.exec("DELETE FROM leases WHERE isolate_id = ? AND lease_id = ?", d.isolateId, d.leaseId);
    for (const e of upserts)
      this.sql.exec(
        "INSERT OR REPLACE INTO leases (isolate_id, lease_id, limit_ids, units, end_ms, forget_at, quota_period_start, closed) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        e.isolateId,
        e.leaseId,
        JSON.stringify(e.limitIds),
        e.units,
        e.end,
        e.forgetAt,
        e.quotaPeriodStart,
        e.closed ? 1 : 0,
      );
  }
}
