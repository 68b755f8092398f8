// End of life of a key's or identity's object (docs/rate-limits.md "End of life"): once its key is
// revoked or its identity deleted, and every isolate's cached record has been reloaded since, the
// object copies its last usage to D1 and deletes all its storage.

/**
 * How long after a revocation or deletion the object keeps its storage: the longest
 * KEY_CACHE_TTL_SECONDS (3600 s) and LEASE_TTL_MS (60 s). Until then an isolate may still present a
 * record cached before the change, and only the status held here refuses it.
 */
export const RETIRE_AFTER_MS = 3_660_000;

/** Schema step for the key object: when its storage may go (one row, absent while it must stay). */
export const RETIREMENT_STEP = "CREATE TABLE retirement (id INTEGER PRIMARY KEY CHECK (id = 1), at INTEGER NOT NULL);";

/** The object's retirement time, kept in its SQLite so it survives a restart. */
export class Retirement {
  private at: number | undefined;

  constructor(private readonly sql: SqlStorage) {
    this.at = sql.exec<{ at: number }>("SELECT at FROM retirement").toArray()[0]?.at;
  }

  /** When the storage may go; undefined while the object must keep it. */
  due(): number | undefined {
    return this.at;
  }

  /** Sets the retirement `RETIRE_AFTER_MS` after `since` (a later call never postpones it); true when it was not set before. */
  schedule(since: number): boolean {
    if (this.at !== undefined) return false;
    this.at = since + RETIRE_AFTER_MS;
    this.sql.exec("INSERT OR REPLACE INTO retirement (id, at) VALUES (1, ?)", this.at);
    return true;
  }
}

/** KEY_LIMITER objects named like this counted client IPs in earlier versions (now ClientIpCounter's): nothing in them is kept. */
export const isLegacyClientIpObject = (name: string | undefined) =>
  name !== undefined && (name.startsWith("ip:") || name.startsWith("admin-ip:"));
