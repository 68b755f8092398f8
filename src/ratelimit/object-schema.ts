/**
 * Versioned SQLite schema for Durable Objects: each class lists its steps in order, step `i`
 * taking an object from version `i` to `i + 1`. Released steps are never edited, only appended.
 * The version lives in a one-row table (the SQL API does not promise `PRAGMA user_version`).
 */
export type SchemaSteps = readonly string[];

/** The object's schema version; 0 for an object that has no storage yet. Reads only, writes nothing. */
export function schemaVersion(sql: SqlStorage): number {
  const table = sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").toArray();
  if (table.length === 0) return 0;
  return sql.exec<{ version: number }>("SELECT version FROM schema_version").toArray()[0]?.version ?? 0;
}

/** Applies the steps the object has not had yet, all in one transaction with the new version. */
export function migrateSchema(storage: DurableObjectStorage, steps: SchemaSteps): void {
  const { sql } = storage;
  const from = schemaVersion(sql);
  if (from >= steps.length) return;
  storage.transactionSync(() => {
    for (const step of steps.slice(from)) sql.exec(step);
    sql.exec("CREATE TABLE IF NOT EXISTS schema_version (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL)");
    sql.exec("INSERT OR REPLACE INTO schema_version (id, version) VALUES (1, ?)", steps.length);
  });
}
