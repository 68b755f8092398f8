// The customers' portal, mounted at /_gateway/portal and loaded lazily (src/index.ts): sign-in with the
// API owner's OpenID Connect provider, sign-out, and the portal's own routes behind `requireCustomer()`.
import { type Context, Hono } from "hono";
import type { GatewayEnv } from "../env";
import { pageSecurity, serveAsset } from "../gateway/assets";
import { notFound } from "../http/problem";
import { portalApi } from "./api/app";
import { customerFor } from "./customers";
import { type ProviderSettings, SignInError, type SignInFailure, signInClient } from "./oidc";
import { messagePage } from "./pages";
import { keepPendingSignIn, takePendingSignIn } from "./pending-sign-in";
import { sameOriginWrites } from "./same-origin";
import { endSession, PORTAL_PATH, requireCustomer, startSession } from "./session";

const CALLBACK_PATH = `${PORTAL_PATH}/callback`;
const SIGNED_OUT_PATH = `${PORTAL_PATH}/signed-out`;

const FAILURE_STATUS = { provider_unreachable: 502, refused: 400, invalid_callback: 400, untrusted_answer: 502 } as const satisfies Record<
  SignInFailure,
  number
>;

/** The provider as configured, or undefined until OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET are all set. */
function providerSettings(c: Context<GatewayEnv>): ProviderSettings | undefined {
  const { issuer, clientId } = c.get("config").portal;
  const clientSecret = c.env.OIDC_CLIENT_SECRET;
  if (!issuer || !clientId || !clientSecret) return undefined;
  return { issuer, clientId, clientSecret };
}

/** Registered at the provider as the client's redirect URI: `https://<host>/_gateway/portal/callback`. */
const redirectUri = (c: Context) => new URL(CALLBACK_PATH, c.req.url).href;

function notSetUp(c: Context<GatewayEnv>) {
  console.error("gateway_misconfigured: the customers' portal needs OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET");
  return messagePage(c, 503, "Sign-in is not available", "The portal's sign-in provider is not set up yet.");
}

function failedSignIn(c: Context<GatewayEnv>, error: unknown) {
  if (!(error instanceof SignInError)) throw error;
  console.warn(`portal sign-in failed (${error.failure}) ${c.get("requestId")}: ${error.message} ${String(error.cause ?? "")}`);
  return messagePage(c, FAILURE_STATUS[error.failure], "Sign-in failed", error.message);
}

/** GET /login: off to the provider, with state, nonce and PKCE kept for the callback. */
async function login(c: Context<GatewayEnv>) {
  const settings = providerSettings(c);
  if (!settings) return notSetUp(c);
  try {
    const { url, pending } = await signInClient(settings).start(redirectUri(c));
    await keepPendingSignIn(c, settings.clientSecret, pending);
    c.header("cache-control", "no-store");
    return c.redirect(url.href, 302);
  } catch (error) {
    return failedSignIn(c, error);
  }
}

/** GET /callback: the provider's answer checked, the customer's identity found or created, a session started. */
async function callback(c: Context<GatewayEnv>) {
  const settings = providerSettings(c);
  if (!settings) return notSetUp(c);
  const pending = await takePendingSignIn(c, settings.clientSecret);
  if (!pending) {
    return messagePage(c, 400, "Sign-in failed", "No sign-in was started in this browser, or it took longer than 10 minutes.");
  }
  try {
    const claims = await signInClient(settings).finish(new URL(c.req.url), redirectUri(c), pending);
    await startSession(c, await customerFor(c, claims));
  } catch (error) {
    return failedSignIn(c, error);
  }
  return c.redirect(PORTAL_PATH, 303);
}

/** POST /logout: the session ends (its row is deleted); a browser's form goes to a signed-out page, a script gets 204. */
async function logout(c: Context<GatewayEnv>) {
  await endSession(c);
  if (c.req.header("accept")?.includes("text/html")) return c.redirect(SIGNED_OUT_PATH, 303);
  return c.body(null, 204);
}

export function portalApp() {
  const app = new Hono<GatewayEnv>();
  app.use(sameOriginWrites());
  app.use(pageSecurity({ forms: true }));

  app.get("/login", login);
  app.get("/callback", callback);
  app.post("/logout", logout);
  app.get("/signed-out", (c) => messagePage(c, 200, "Signed out", "You are signed out of the portal."));

  // The portal's JSON API, every route behind the session.
  app.use("/api/*", requireCustomer());
  app.route("/api", portalApi());
  app.all("/api/*", notFound);

  // The page (portal/, built with the dashboard): it loads signed out too, and then offers "Sign in".
  app.get("/", serveAsset);
  app.get("/assets/*", serveAsset);
  app.get("/favicon.svg", serveAsset);
  return app;
}
