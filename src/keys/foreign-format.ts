// The shape of keys imported from another system (docs/keys.md § Import). Pure: no storage.

/** An import prefix: what precedes the "_" of a foreign key (`sk_live` in `sk_live_…`); "" stands for keys without one. */
export const IMPORT_PREFIX_PATTERN = /^(?:[A-Za-z][A-Za-z0-9_-]{0,31})?$/;
export const FOREIGN_BODY_MIN_LENGTH = 16;
/** A registered prefix is at least this long: a shorter one makes most long strings worth a lookup. */
export const IMPORT_PREFIX_MIN_LENGTH = 3;
/**
 * Prefixes an import may not register (docs/keys.md § Import), compared without case: HTTP
 * authentication scheme words (a value `Bearer_…` or `token_…` is someone else's credential) and the
 * gateway's own prefixes (its keys are found by their checksum; operator tokens and webhook secrets
 * are never client keys). The configured KEY_PREFIX and its parts are refused besides these.
 */
export const RESERVED_IMPORT_PREFIXES: readonly string[] = [
  "bearer",
  "basic",
  "digest",
  "token",
  "api-key",
  "api_key",
  "apikey",
  "key",
  "negotiate",
  "ntlm",
  "hoba",
  "mutual",
  "oauth",
  "dpop",
  "gnap",
  "vapid",
  "privatetoken",
  "gk",
  "gk_live",
  "gk_test",
  "live",
  "test",
  "gop",
  "whsec",
];
export const FOREIGN_BODY_MAX_LENGTH = 256;
/** RFC 6750's b64token: the characters a bearer credential may hold, `=` only as trailing padding. */
const B64TOKEN = /^[A-Za-z0-9._~+/-]+=*$/;
/** Longest possible imported key: 32-character prefix, "_", longest body. */
const MAX_FOREIGN_KEY_LENGTH = 32 + 1 + FOREIGN_BODY_MAX_LENGTH;

export interface ForeignKey {
  prefix: string;
  /** The prefix with its "_" and the first 4 body characters (a bare key's first 4): safe to display. */
  start: string;
}

/** The key's parts if it is `<prefix>_<body>` (a bare body for prefix ""), the body 16–256 b64token characters. */
export function parseForeignKey(key: string, prefix: string): ForeignKey | undefined {
  const head = prefix === "" ? "" : `${prefix}_`;
  if (!key.startsWith(head)) return undefined;
  const body = key.slice(head.length);
  if (body.length < FOREIGN_BODY_MIN_LENGTH || body.length > FOREIGN_BODY_MAX_LENGTH || !B64TOKEN.test(body)) return undefined;
  return { prefix, start: head + body.slice(0, 4) };
}

/** Why this prefix may not be registered (a sentence for `detail`), or undefined if it may; `ownKeyPrefix` is the configured KEY_PREFIX. */
export function refusedImportPrefix(prefix: string, ownKeyPrefix: string): string | undefined {
  if (prefix.length < IMPORT_PREFIX_MIN_LENGTH) return `must be at least ${IMPORT_PREFIX_MIN_LENGTH} characters`;
  const word = prefix.toLowerCase();
  const own = ownKeyPrefix.toLowerCase();
  if (RESERVED_IMPORT_PREFIXES.includes(word) || word === own || own.split("_").includes(word))
    return `"${prefix}" is reserved (an authentication scheme or one of the gateway's own prefixes)`;
  return undefined;
}

/** Whether the key could be an imported key under some prefix: junk that cannot is refused before the registry is consulted. */
export function couldBeForeignKey(key: string): boolean {
  return key.length >= FOREIGN_BODY_MIN_LENGTH && key.length <= MAX_FOREIGN_KEY_LENGTH && B64TOKEN.test(key);
}

/** Whether the key has the shape of one of these registered prefixes. */
export function matchesImportPrefix(key: string, prefixes: Iterable<string>): boolean {
  for (const prefix of prefixes) if (parseForeignKey(key, prefix)) return true;
  return false;
}

/** Whether a credential value could be an imported key: the shape of one of the registered prefixes. */
export function hasImportShape(value: string, importPrefixes: ReadonlySet<string>): boolean {
  return importPrefixes.size > 0 && couldBeForeignKey(value) && matchesImportPrefix(value, importPrefixes);
}

/** What an imported-by-hash key shows as its start: only the prefix and "_", since no character of the key is known. */
export function hashOnlyStart(prefix: string): string {
  return prefix === "" ? "" : `${prefix}_`;
}
