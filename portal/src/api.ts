// The portal's JSON API as the page uses it: the session is an HttpOnly cookie the browser sends
// itself. Writes must carry the page's `Origin`: under the page's `no-referrer` policy a browser
// sends `Origin: null` with a POST, so each call asks for `same-origin` (no referrer leaves the origin).
import type { KeyObject, UsageBucket } from "../../dashboard/src/types";

export type { KeyObject, UsageBucket };
export type CreatedKey = KeyObject & { key: string };

export interface RateLimitState {
  name: string;
  limit: number;
  window: number;
  remaining: number;
  reset: number;
}

export interface QuotaState {
  limit: number;
  period: "day" | "month" | "total";
  used: number;
  remaining: number;
  reset: number | null;
}

export interface Plan {
  id: string;
  name: string;
  rateLimits: { name: string; limit: number; window: number }[];
  quota: { limit: number; period: string } | null;
  allowedScopes: string[] | null;
  maxKeys: number | null;
}

export interface Me {
  identityId: string;
  email: string | null;
  name: string | null;
  plan: Plan | null;
  ratelimits: RateLimitState[];
  quota: QuotaState | null;
}

/** Where the portal's sign-in starts and where signing out is posted (docs/portal.md). */
export const SIGN_IN_URL = "/_gateway/portal/login";
export const SIGN_OUT_URL = "/_gateway/portal/logout";

/** A problem+json answer of the API, or a network failure (status 0). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const signedOutListeners = new Set<() => void>();

/** Called when the API answers `401 session_required`: the page shows its signed-out state. */
export function onSignedOut(listener: () => void): () => void {
  signedOutListeners.add(listener);
  return () => signedOutListeners.delete(listener);
}

/** One call of the portal API with the session cookie. */
export async function portalApi<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  let response: Response;
  try {
    response = await fetch(`/_gateway/portal/api${path}`, {
      method,
      headers,
      credentials: "same-origin",
      referrerPolicy: "same-origin",
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
  } catch {
    throw new ApiError(0, "network", "The gateway could not be reached.");
  }
  if (response.status === 204) return undefined as T;
  const payload = (await response.json().catch(() => ({}))) as { code?: string; detail?: string };
  if (!response.ok) {
    if (response.status === 401) for (const listener of signedOutListeners) listener();
    throw new ApiError(response.status, payload.code ?? "error", payload.detail ?? response.statusText);
  }
  return payload as T;
}

export async function signOut(): Promise<void> {
  await fetch(SIGN_OUT_URL, { method: "POST", credentials: "same-origin", referrerPolicy: "same-origin" }).catch(() => undefined);
}
