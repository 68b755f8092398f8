// The admin API as the page uses it: the operator token lives in sessionStorage (no cookies, so no
// CSRF surface) and goes out as a Bearer token on every call.
const TOKEN_ITEM = "gateway.operatorToken";

export const session = {
  token: (): string | null => sessionStorage.getItem(TOKEN_ITEM),
  signIn: (token: string) => sessionStorage.setItem(TOKEN_ITEM, token),
  signOut: () => sessionStorage.removeItem(TOKEN_ITEM),
};

/** A problem+json answer of the admin API, or a network failure (status 0). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const unauthorizedListeners = new Set<() => void>();

/** Called when the API refuses the token: the page signs out. */
export function onUnauthorized(listener: () => void): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

type Query = Record<string, string | number | undefined>;

export function withQuery(path: string, query: Query): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined && value !== "") params.set(name, String(value));
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

/** One admin call with the session's token; `token` overrides it (sign-in checks a token before keeping it). */
export async function adminApi<T>(method: string, path: string, body?: unknown, token = session.token()): Promise<T> {
  const headers: Record<string, string> = { authorization: `Bearer ${token ?? ""}` };
  if (body !== undefined) headers["content-type"] = "application/json";
  let response: Response;
  try {
    response = await fetch(`/_gateway/admin${path}`, { method, headers, ...(body !== undefined && { body: JSON.stringify(body) }) });
  } catch {
    throw new ApiError(0, "network", "The gateway could not be reached.");
  }
  if (response.status === 204) return undefined as T;
  const payload = (await response.json().catch(() => ({}))) as { code?: string; detail?: string };
  if (!response.ok) {
    if (response.status === 401 && token === session.token()) for (const listener of unauthorizedListeners) listener();
    throw new ApiError(response.status, payload.code ?? "error", payload.detail ?? response.statusText);
  }
  return payload as T;
}

/** Admin paths the gateway documents: optional features (all-keys usage, operators) show only when present. */
export async function documentedAdminPaths(): Promise<Set<string>> {
  try {
    const response = await fetch("/_gateway/openapi.json");
    const document = (await response.json()) as { paths?: Record<string, unknown> };
    return new Set(Object.keys(document.paths ?? {}));
  } catch {
    return new Set();
  }
}
