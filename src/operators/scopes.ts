/** What an operator token may be allowed to do; each admin route requires one. */
export const OPERATOR_SCOPES = ["keys:read", "keys:write", "keys:verify", "usage:read", "operators:write"] as const;

export type OperatorScope = (typeof OPERATOR_SCOPES)[number];

/** Who is calling the admin API: ADMIN_TOKEN (id `admin`, every scope) or an operator token. */
export interface AdminPrincipal {
  /** The audit log's `actor`. */
  id: string;
  scopes: readonly OperatorScope[];
}
