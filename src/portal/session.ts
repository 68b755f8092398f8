// Customers' portal sessions (docs/portal.md): a random token in an HttpOnly cookie, its SHA-256 in D1,
// so that logout and expiry end a session for good; `requireCustomer()` guards every route that needs one.
import { and, eq, gt, lt } from "drizzle-orm";
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { createMiddleware } from "hono/factory";
import type { CookieOptions } from "hono/utils/cookie";
import { database } from "../db/client";
import { portalSessions } from "../db/schema";
import type { Customer, Env, GatewayEnv, PortalEnv } from "../env";
import { GatewayError } from "../errors";
import { randomBase62 } from "../keys/format";
import { sha256Hex } from "../keys/sha256";

/** Where the portal lives; its cookies are sent to nothing outside it. */
export const PORTAL_PATH = "/_gateway/portal";
export const LOGIN_PATH = `${PORTAL_PATH}/login`;

const SESSION_COOKIE = "gateway_portal_session";
/** 43 base62 characters: 256 bits. */
const TOKEN_LENGTH = 43;

const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** `HttpOnly`, `SameSite=Lax`, only under /_gateway/portal; `Secure` except on http://localhost, where browsers would drop it. */
export function portalCookie(c: Context, maxAgeSeconds: number): CookieOptions {
  const url = new URL(c.req.url);
  const secure = url.protocol === "https:" || !LOOPBACK.has(url.hostname);
  return { path: PORTAL_PATH, httpOnly: true, sameSite: "Lax", secure, maxAge: maxAgeSeconds };
}

/** Starts a session for the customer: a new token in the cookie, its hash in D1 until it expires. */
export async function startSession(c: Context<GatewayEnv>, customer: Customer): Promise<void> {
  const token = randomBase62(TOKEN_LENGTH);
  const now = Date.now();
  const maxAgeMs = c.get("config").portal.sessionMaxAgeMs;
  const db = database(c.env.DB);
  await db.batch([
    // Expired sessions are swept here, by the sign-ins that add new ones (indexed by expiry).
    db.delete(portalSessions).where(lt(portalSessions.expiresAt, now)),
    db.insert(portalSessions).values({ idHash: sha256Hex(token), ...customer, createdAt: now, expiresAt: now + maxAgeMs }),
  ]);
  setCookie(c, SESSION_COOKIE, token, portalCookie(c, Math.floor(maxAgeMs / 1000)));
}

/** The customer of this request's session; undefined without a cookie or when its session ended or expired. */
export async function sessionCustomer<E extends { Bindings: Env }>(c: Context<E>): Promise<Customer | undefined> {
  const token = getCookie(c, SESSION_COOKIE);
  if (!token || token.length !== TOKEN_LENGTH) return undefined;
  const rows = await database(c.env.DB)
    .select({
      identityId: portalSessions.identityId,
      subject: portalSessions.subject,
      email: portalSessions.email,
      name: portalSessions.name,
    })
    .from(portalSessions)
    .where(and(eq(portalSessions.idHash, sha256Hex(token)), gt(portalSessions.expiresAt, Date.now())))
    .limit(1);
  return rows[0];
}

/** Ends this request's session: its row is deleted (a replayed cookie finds nothing) and the cookie cleared. */
export async function endSession(c: Context<GatewayEnv>): Promise<void> {
  const token = getCookie(c, SESSION_COOKIE);
  if (token)
    await database(c.env.DB)
      .delete(portalSessions)
      .where(eq(portalSessions.idHash, sha256Hex(token)));
  deleteCookie(c, SESSION_COOKIE, portalCookie(c, 0));
}

/**
 * Portal routes that need a signed-in customer: publishes `customer`. Without a live session an API
 * route answers `401 session_required`; a page (`{ page: true }`) sends the browser to sign in.
 */
export function requireCustomer({ page = false }: { page?: boolean } = {}) {
  return createMiddleware<PortalEnv>(async function requireCustomer(c, next) {
    const customer = await sessionCustomer(c);
    if (!customer) {
      if (page) return c.redirect(LOGIN_PATH, 302);
      throw new GatewayError("session_required", "Sign in to the portal first: no session, or it has expired or ended.");
    }
    c.set("customer", customer);
    await next();
  });
}
