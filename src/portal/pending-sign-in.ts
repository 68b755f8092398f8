// A sign-in in flight (state, nonce, PKCE verifier) between /login and /callback. It lives in a short
// cookie signed with a key derived from OIDC_CLIENT_SECRET, not in D1: /login is open to anyone, and
// a row per visit would let a crawler fill the database; HttpOnly keeps the verifier from the page,
// the signature keeps anyone from planting their own, and the provider's one-time code makes a replay useless.
import type { Context } from "hono";
import { deleteCookie, getSignedCookie, setSignedCookie } from "hono/cookie";
import type { PendingSignIn } from "./oidc";
import { portalCookie } from "./session";

const COOKIE = "gateway_portal_sign_in";
/** How long a customer may take at the provider's sign-in page. */
const SIGN_IN_SECONDS = 600;

const keys = new Map<string, Promise<ArrayBuffer>>();

/** A signing key of its own for this cookie, derived from the client secret (HKDF-SHA-256), once per isolate. */
function signingKey(clientSecret: string): Promise<ArrayBuffer> {
  let key = keys.get(clientSecret);
  if (!key) {
    const encoder = new TextEncoder();
    key = crypto.subtle
      .importKey("raw", encoder.encode(clientSecret), "HKDF", false, ["deriveBits"])
      .then((secret) =>
        crypto.subtle.deriveBits(
          { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info: encoder.encode("gateway portal sign-in cookie") },
          secret,
          256,
        ),
      );
    keys.set(clientSecret, key);
  }
  return key;
}

export async function keepPendingSignIn(c: Context, clientSecret: string, pending: PendingSignIn): Promise<void> {
  const value = JSON.stringify({ ...pending, until: Date.now() + SIGN_IN_SECONDS * 1000 });
  await setSignedCookie(c, COOKIE, value, await signingKey(clientSecret), portalCookie(c, SIGN_IN_SECONDS));
}

/** The sign-in this browser started, if its cookie is there, signed by us and not older than allowed; the cookie is cleared. */
export async function takePendingSignIn(c: Context, clientSecret: string): Promise<PendingSignIn | undefined> {
  const value = await getSignedCookie(c, await signingKey(clientSecret), COOKIE);
  deleteCookie(c, COOKIE, portalCookie(c, 0));
  if (!value) return undefined;
  try {
    const { state, nonce, codeVerifier, until } = JSON.parse(value) as PendingSignIn & { until: number };
    if (typeof until !== "number" || until < Date.now()) return undefined;
    if (typeof state !== "string" || typeof nonce !== "string" || typeof codeVerifier !== "string") return undefined;
    return { state, nonce, codeVerifier };
  } catch {
    return undefined;
  }
}
