// The orders the key list can be sorted in (docs/keys.md "Listing keys"), and the keyset
// condition that resumes a list after a cursor's position in the same order.
import { asc, desc, type SQL, sql } from "drizzle-orm";
import { keys } from "../db/schema";

/** `field` ascending, `-field` descending; without one the list is in id order. */
export const KEY_SORTS = ["createdAt", "-createdAt", "name", "-name", "expiresAt", "-expiresAt", "lastUsedAt", "-lastUsedAt"] as const;
export type KeySort = (typeof KEY_SORTS)[number];
export type KeySortField = "createdAt" | "name" | "expiresAt" | "lastUsedAt";

/** Where the previous page ended: its last key's sort value (null: none set) and id, the tie-breaker. */
export interface KeyListPosition {
  value: string | number | null;
  id: string;
}

export function sortField(sort: KeySort): { field: KeySortField; descending: boolean } {
  return sort.startsWith("-")
    ? { field: sort.slice(1) as KeySortField, descending: true }
    : { field: sort as KeySortField, descending: false };
}

const COLUMNS = { createdAt: keys.createdAt, name: keys.name, expiresAt: keys.expiresAt, lastUsedAt: keys.lastUsedAt };

/** Names sort as people read them: ASCII case ignored. */
const sortExpression = (field: KeySortField) => (field === "name" ? sql`${keys.name} COLLATE NOCASE` : sql`${COLUMNS[field]}`);

/** The key's value of a sort field, as the cursor keeps it. */
export function positionOf(
  key: { id: string; name: string; createdAt: number; expiresAt: number | null; lastUsedAt: number | null },
  sort: KeySort,
): KeyListPosition {
  return { value: key[sortField(sort).field], id: key.id };
}

/** ORDER BY for a sort: keys without the value (never expires, never used) last in either direction, ties by id. */
export function keyOrder(sort: KeySort | undefined): SQL[] {
  if (sort === undefined) return [asc(keys.id)];
  const { field, descending } = sortField(sort);
  const expression = sortExpression(field);
  return [sql`${COLUMNS[field]} IS NULL`, descending ? desc(expression) : asc(expression), asc(keys.id)];
}

/** The keys that come after `position` in the sort's order (see keyOrder). */
export function afterPosition(sort: KeySort, position: KeyListPosition): SQL {
  const { field, descending } = sortField(sort);
  const column = COLUMNS[field];
  if (position.value === null) return sql`(${column} IS NULL AND ${keys.id} > ${position.id})`;
  const expression = sortExpression(field);
  const beyond = descending ? sql`${expression} < ${position.value}` : sql`${expression} > ${position.value}`;
  return sql`(${column} IS NULL OR ${beyond} OR (${expression} = ${position.value} AND ${keys.id} > ${position.id}))`;
}
