/**
 * The locator in a key's body: which object decides for the key, read with no lookup
 * (docs/rate-limits.md "One round trip for a cold key"). Pure; ids of keys and identities that
 * can be named this way are made here too.
 */
import { checksum, crc32, generateKey, KEY_BODY_LENGTH, KEY_PREFIX_PATTERN, randomBase62 } from "./format.ts";

/** Characters of the object's id in a body (after the fresh ones), then of its tag. */
const FRESH_LENGTH = 20;
const ID_LENGTH = 10;
const TAG_LENGTH = 2;
const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const LOCATED_ID = /^(key|idt)_([0-9A-Za-z]{10})$/;

/** The kinds of object a key's body can name: the key's own, or its identity's. */
export type LocatorKind = "key" | "idt";

/** The object a key's body names: the id of a key or an identity (`key_<10>` / `idt_<10>`). */
export interface Locator {
  kind: LocatorKind;
  id: string;
}

/** Two base62 characters of `crc32("<kind>_<chars>") mod 3844`: which kind the chars name, if any. */
function tag(kind: LocatorKind, chars: string): string {
  const value = crc32(`${kind}_${chars}`) % (62 * 62);
  return BASE62[Math.floor(value / 62)]! + BASE62[value % 62]!;
}

/** A new id of a key or identity that a key's body can name (one whose tag fits only its own kind). */
export function newLocatedId(kind: LocatorKind): string {
  for (;;) {
    const chars = randomBase62(ID_LENGTH);
    if (tag("key", chars) !== tag("idt", chars)) return `${kind}_${chars}`;
  }
}

/** The 12 body characters naming the object with this id; undefined for an id of the older, longer kind. */
export function locatorChars(id: string): string | undefined {
  const match = LOCATED_ID.exec(id);
  if (!match) return undefined;
  const [, kind, chars] = match as unknown as [string, LocatorKind, string];
  return chars + tag(kind, chars);
}

/**
 * The locator a new secret carries: its identity's object when the key is in one (it decides for
 * the key), else the key's own (which sends the isolate on to an identity it cannot name);
 * undefined when neither can be named.
 */
export function locatorFor(key: { id: string; identityId: string | null }): string | undefined {
  return (key.identityId === null ? undefined : locatorChars(key.identityId)) ?? locatorChars(key.id);
}

/**
 * A new secret of the key: its body names the object deciding for it (20 fresh random characters,
 * the locator, the checksum), or is random throughout when that object cannot be named.
 */
export function generateKeyFor(prefix: string, key: { id: string; identityId: string | null }): string {
  const locator = locatorFor(key);
  if (locator === undefined) return generateKey(prefix);
  if (!KEY_PREFIX_PATTERN.test(prefix)) throw new TypeError(`invalid key prefix: ${prefix}`);
  const head = `${prefix}_${randomBase62(FRESH_LENGTH)}${locator}`;
  return head + checksum(head);
}

/** The object a well-formed key's body names, if its tag fits a kind; undefined for keys of the older format. */
export function keyLocator(body: string): Locator | undefined {
  if (body.length !== KEY_BODY_LENGTH) return undefined;
  const chars = body.slice(FRESH_LENGTH, FRESH_LENGTH + ID_LENGTH);
  const found = body.slice(FRESH_LENGTH + ID_LENGTH, FRESH_LENGTH + ID_LENGTH + TAG_LENGTH);
  if (found === tag("key", chars)) return { kind: "key", id: `key_${chars}` };
  if (found === tag("idt", chars)) return { kind: "idt", id: `idt_${chars}` };
  return undefined;
}
