// Operator tokens' format (docs/operators.md § The token): a client key's shape under the `gop` prefix, hashed with SHA-256
// for storage.
import { generateKey, hashKey, parseKey } from "../keys/format";

/** Operator tokens have the client key shape under their own prefix: `gop_` + 32 random + 6 checksum. */
export const OPERATOR_TOKEN_PREFIX = "gop";

export function generateOperatorToken(): string {
  return generateKey(OPERATOR_TOKEN_PREFIX);
}

/** The token's display start if it has the operator shape and a valid checksum; no storage is touched. */
export function parseOperatorToken(token: string): { start: string } | undefined {
  const parsed = parseKey(token);
  return parsed?.prefix === OPERATOR_TOKEN_PREFIX ? { start: parsed.start } : undefined;
}

/** SHA-256 hex of the whole token: what D1 stores and looks up. */
export const hashOperatorToken = hashKey;
