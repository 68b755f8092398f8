import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { getTableConfig, type SQLiteTable } from "drizzle-orm/sqlite-core";
import { describe, expect, it } from "vitest";
import { database } from "../../src/db/client";
import { objectDatabase } from "../../src/objects/database";
import * as schema from "../../src/objects/schema";
import { CLIENT_IP_COUNTER_SCHEMA } from "../../src/ratelimit/client-ip-counter";
import { KEY_OBJECT_SCHEMA, KeyLimiter } from "../../src/ratelimit/key-limiter";
import { KeyRecords } from "../../src/ratelimit/key-records";
import { migrateSchema } from "../../src/ratelimit/object-schema";

type ColumnShape = {
  name: string;
  type: string;
  notnull: number;
  pk: number;
};

/** A table's columns as SQLite has them (PRAGMA table_info), by name. */
function sqliteColumns(sql: SqlStorage, table: string): ColumnShape[] {
  return (
    sql
      .exec<ColumnShape & { cid: number }>(`PRAGMA table_info(${table})`)
      .toArray()
      // A key column's NOT NULL differs by table kind in SQLite (implied WITHOUT ROWID, not otherwise): keys compare by `pk`.
      .map(({ name, type, notnull, pk }) => ({ name, type, notnull: pk > 0 ? 0 : notnull, pk: pk > 0 ? 1 : 0 }))
      .sort((a, b) => a.name.localeCompare(b.name))
  );
}

/** The same, as the drizzle table declares them. */
function drizzleColumns(table: SQLiteTable): ColumnShape[] {
  const config = getTableConfig(table);
  const compositeKey = new Set(config.primaryKeys.flatMap((key) => key.columns.map((column) => column.name)));
  return config.columns
    .map((column) => ({
      name: column.name,
      type: column.getSQLType().toUpperCase(),
      notnull: column.notNull && !column.primary && !compositeKey.has(column.name) ? 1 : 0,
      pk: column.primary || compositeKey.has(column.name) ? 1 : 0,
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Every table the storage holds but the version table, by name. */
const tableNames = (sql: SqlStorage) =>
  sql
    .exec<{ name: string }>(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT IN ('schema_version', '_cf_KV', '_cf_METADATA') ORDER BY name",
    )
    .toArray()
    .map((row) => row.name);

const tables = Object.values(schema) as SQLiteTable[];

describe("the objects' drizzle schema", () => {
  it("declares every table of the key object's steps with their exact columns, types and keys", async () => {
    const stub = env.KEY_LIMITER.getByName("key:drizzle-schema-shape");
    await runInDurableObject(stub, async (_, state) => {
      await state.storage.deleteAll();
      migrateSchema(state.storage, KEY_OBJECT_SCHEMA);
      new KeyRecords(objectDatabase(state.storage), () => database(env.DB)).keep("hash", {} as never);
      const names = tableNames(state.storage.sql);
      const declared = tables.filter((table) => names.includes(getTableConfig(table).name));
      expect(declared.map((table) => getTableConfig(table).name).sort()).toEqual(names);
      for (const table of declared)
        expect(drizzleColumns(table), getTableConfig(table).name).toEqual(sqliteColumns(state.storage.sql, getTableConfig(table).name));
    });
  });

  it("declares the client IP counter's tables exactly", async () => {
    const stub = env.CLIENT_IP_COUNTER.getByName("ip:192.0.2.201");
    await runInDurableObject(stub, async (_, state) => {
      await state.storage.deleteAll();
      migrateSchema(state.storage, CLIENT_IP_COUNTER_SCHEMA);
      const names = tableNames(state.storage.sql);
      expect(names).toEqual(["window_entries", "windows"]);
      for (const table of [schema.windows, schema.windowEntries])
        expect(drizzleColumns(table)).toEqual(sqliteColumns(state.storage.sql, getTableConfig(table).name));
    });
  });
});

describe("an object made by the old steps, opened with the drizzle layer", () => {
  it("keeps its usage, last use and retirement, read through drizzle", async () => {
    const stub = env.KEY_LIMITER.getByName("key:adopted-by-drizzle");
    const hour = Date.now() - (Date.now() % 3_600_000);
    const retireAt = Date.now() + 10 * 60_000;
    await runInDurableObject(stub, async (_, state) => {
      await state.storage.deleteAll();
      // The object as the raw-SQL stores left it: step 4 (usage per route, one last use), then the rest of the steps on open.
      migrateSchema(state.storage, KEY_OBJECT_SCHEMA.slice(0, 4));
      state.storage.sql.exec("INSERT INTO usage_owner (id, key_id) VALUES (1, 'key_adopted')");
      state.storage.sql.exec("INSERT INTO usage_route_hours (hour, route, allowed, rate_limited) VALUES (?, '/api/*', 4, 1)", hour);
      state.storage.sql.exec("INSERT INTO usage_route_hours (hour, route, quota_exceeded) VALUES (?, '/other', 2)", hour);
      state.storage.sql.exec("INSERT INTO last_used (id, key_id, at) VALUES (1, 'key_adopted', ?)", hour + 5);
      migrateSchema(state.storage, KEY_OBJECT_SCHEMA);
      state.storage.sql.exec("INSERT INTO retirement (id, at) VALUES (1, ?)", retireAt);

      const adopted = new KeyLimiter(state, env);
      expect(adopted.usageBetween(hour, hour + 3_600_000)).toEqual([{ start: hour, allowed: 4, rateLimited: 1, quotaExceeded: 2 }]);
      expect(adopted.usageBetween(hour, hour + 3_600_000, "key_adopted")).toEqual([
        { start: hour, allowed: 4, rateLimited: 1, quotaExceeded: 2 },
      ]);
      const db = objectDatabase(state.storage);
      expect(db.select().from(schema.lastUse).all()).toEqual([{ keyId: "key_adopted", at: hour + 5 }]);
      expect(db.select().from(schema.retirement).all()).toEqual([{ id: 1, at: retireAt }]);
    });
  });
});
