// Usage in a deciding object: hourly counts per key, route and outcome, each key's last use, and
// their copy to D1 (the object's alarm calls `copyToD1`).
import type { Database } from "../db/client";
import { recordLastUse } from "../keys/store";
import { HourlyUsage, type UsageBucket, type UsageOutcome } from "../usage/hourly";

/** The usage a key object (one key) or an identity's object (each of its keys) counts, until it is in D1. */
export class KeyUsage {
  private readonly hourly: HourlyUsage;
  private readonly lastUseWritten = new Map<string, number>();

  constructor(private readonly sql: SqlStorage) {
    this.hourly = new HourlyUsage(sql);
  }

  /** `keyId` undefined: the key of a key object that has not learnt its id yet (see `ownedBy`). */
  record(now: number, keyId: string | undefined, route: string, outcome: UsageOutcome, count = 1): void {
    this.hourly.record(now, keyId, route, outcome, count);
  }

  /** A key object's key: counts made before it was known become its own. */
  ownedBy(keyId: string): void {
    this.hourly.ownedBy(keyId);
  }

  /** The key was used at `now`; written at most once a second per key. */
  used(keyId: string, now: number): void {
    // A second's precision is all lastUsedAt needs; a write per request is not.
    if (now - (this.lastUseWritten.get(keyId) ?? 0) < 1000) return;
    this.lastUseWritten.set(keyId, now);
    this.sql.exec("INSERT OR REPLACE INTO last_use (key_id, at) VALUES (?, ?)", keyId, now);
  }

  /** Hourly request counts by outcome in [from, to) (epoch ms): of one key, else of all counted here. */
  between(from: number, to: number, keyId?: string): UsageBucket[] {
    return this.hourly.read(from, to, keyId);
  }

  /** Whether anything counted here has not reached D1 yet. */
  hasUncopied(): boolean {
    return this.sql.exec("SELECT 1 FROM last_use LIMIT 1").toArray().length > 0 || this.hourly.hasUncopied();
  }

  /** Copies last uses and changed counts to D1; a failure throws (the alarm is retried) and leaves them to copy again. */
  async copyToD1(db: Database): Promise<void> {
    for (const row of this.sql.exec<{ key_id: string; at: number }>("SELECT key_id, at FROM last_use").toArray()) {
      await recordLastUse(db, row.key_id, row.at);
      this.sql.exec("DELETE FROM last_use WHERE key_id = ? AND at = ?", row.key_id, row.at);
    }
    await this.hourly.copyToD1(db);
  }
}
