import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";
import { GatewayError } from "../errors";

const encoder = new TextEncoder();

/** Equal-time comparison: both sides are hashed first, so length and content leak nothing. */
export async function tokensEqual(presented: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(presented)),
    crypto.subtle.digest("SHA-256", encoder.encode(expected)),
  ]);
  return crypto.subtle.timingSafeEqual(a, b);
}

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

/** `Authorization: Bearer <ADMIN_TOKEN>` on every admin path. */
export function adminAuth() {
  return createMiddleware<AppEnv>(async function adminAuth(c, next) {
    const realm = { "www-authenticate": `Bearer realm="${c.get("config")?.realm ?? "gateway"}-admin"` };
    const expected = c.env.ADMIN_TOKEN;
    if (!expected) throw new GatewayError("gateway_misconfigured", "The ADMIN_TOKEN secret is not set.");
    const presented = c.req.header("authorization")?.match(BEARER)?.[1];
    if (!presented) throw new GatewayError("missing_key", "Admin calls need Authorization: Bearer <ADMIN_TOKEN>.", { headers: realm });
    if (!(await tokensEqual(presented, expected))) {
      throw new GatewayError("invalid_key", "The admin token is not valid.", { headers: realm });
    }
    await next();
  });
}
