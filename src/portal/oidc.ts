// The customers' portal's OpenID Connect client (docs/portal.md): authorization code flow with PKCE,
// state and nonce, the ID token's claims and signature checked, all by oauth4webapi. Any provider
// that publishes discovery at its issuer works (Auth0, Google, Keycloak, Logto, the local one).
import * as oauth from "oauth4webapi";

/** What a sign-in keeps between leaving for the provider and coming back to the callback. */
export interface PendingSignIn {
  state: string;
  nonce: string;
  codeVerifier: string;
}

/** The customer as the provider vouched for it. */
export interface VerifiedClaims {
  subject: string;
  email: string | null;
  name: string | null;
}

export interface SignInClient {
  /** The provider's authorization URL for a new sign-in, and what the callback will need to check it. */
  start(redirectUri: string): Promise<{ url: URL; pending: PendingSignIn }>;
  /** Checks the callback's parameters against the pending sign-in, exchanges the code and verifies the ID token. */
  finish(callbackUrl: URL, redirectUri: string, pending: PendingSignIn): Promise<VerifiedClaims>;
}

export interface ProviderSettings {
  issuer: string;
  clientId: string;
  clientSecret: string;
}

/**
 * Why a sign-in failed, in words a customer can act on. `provider_unreachable`: discovery or an
 * exchange failed to connect or timed out; `refused`: the provider answered the sign-in with an
 * error (denied, a code used twice or expired); `invalid_callback`: the callback does not belong to
 * this browser's sign-in (state); `untrusted_answer`: the provider's answer failed verification.
 */
export type SignInFailure = "provider_unreachable" | "refused" | "invalid_callback" | "untrusted_answer";

export class SignInError extends Error {
  constructor(
    readonly failure: SignInFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const SCOPES = "openid email profile";
/** How long a call to the provider may take before the sign-in gives up. */
const PROVIDER_TIMEOUT_MS = 10_000;
/** How long an isolate reuses a provider's discovery document. */
const DISCOVERY_TTL_MS = 10 * 60_000;

const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** Discovery documents by issuer; a failed discovery is not kept, so a provider back up is found again. */
const discovered = new Map<string, { server: Promise<oauth.AuthorizationServer>; until: number }>();

function requestOptions(issuer: URL) {
  return {
    signal: () => AbortSignal.timeout(PROVIDER_TIMEOUT_MS),
    // Plain http only for a provider on loopback (`npm run dev`, tests); settings refuse it anywhere else.
    [oauth.allowInsecureRequests]: issuer.protocol === "http:" && LOOPBACK.has(issuer.hostname),
  };
}

function discover(issuer: URL): Promise<oauth.AuthorizationServer> {
  const now = Date.now();
  const cached = discovered.get(issuer.href);
  if (cached && cached.until > now) return cached.server;
  const server = oauth
    .discoveryRequest(issuer, { ...requestOptions(issuer), algorithm: "oidc" })
    .then((response) => oauth.processDiscoveryResponse(issuer, response));
  discovered.set(issuer.href, { server, until: now + DISCOVERY_TTL_MS });
  server.catch(() => discovered.delete(issuer.href));
  return server;
}

/** A failure of oauth4webapi or of the network, as a `SignInError` saying what went wrong. */
function explain(error: unknown, phase: "discovery" | "exchange"): SignInError {
  if (error instanceof SignInError) return error;
  if (error instanceof oauth.AuthorizationResponseError) {
    const why = error.error_description ? `${error.error}: ${error.error_description}` : error.error;
    return new SignInError("refused", `The provider did not sign you in (${why}).`, { cause: error });
  }
  if (error instanceof oauth.ResponseBodyError) {
    const why = error.error === "invalid_grant" ? "the sign-in code was used already or has expired" : error.error;
    return new SignInError("refused", `The provider refused the sign-in (${why}).`, { cause: error });
  }
  if (error instanceof oauth.OperationProcessingError || error instanceof oauth.UnsupportedOperationError) {
    return new SignInError("untrusted_answer", `The provider's answer failed verification: ${error.message}.`, { cause: error });
  }
  // fetch's own failures: refused connection, DNS, TLS, the timeout above.
  const what = phase === "discovery" ? "its discovery document could not be read" : "it could not be reached";
  return new SignInError("provider_unreachable", `The sign-in provider is unavailable: ${what}.`, { cause: error });
}

export function signInClient(settings: ProviderSettings): SignInClient {
  const issuer = new URL(settings.issuer);
  const client: oauth.Client = { client_id: settings.clientId };
  const clientAuth = oauth.ClientSecretBasic(settings.clientSecret);
  const options = requestOptions(issuer);

  const server = () => discover(issuer).catch((error: unknown) => Promise.reject(explain(error, "discovery")));

  return {
    async start(redirectUri) {
      const as = await server();
      if (!as.authorization_endpoint) throw new SignInError("untrusted_answer", "The provider publishes no authorization endpoint.");
      const pending: PendingSignIn = {
        state: oauth.generateRandomState(),
        nonce: oauth.generateRandomNonce(),
        codeVerifier: oauth.generateRandomCodeVerifier(),
      };
      const url = new URL(as.authorization_endpoint);
      url.searchParams.set("client_id", settings.clientId);
      url.searchParams.set("redirect_uri", redirectUri);
      url.searchParams.set("response_type", "code");
      url.searchParams.set("scope", SCOPES);
      url.searchParams.set("state", pending.state);
      url.searchParams.set("nonce", pending.nonce);
      url.searchParams.set("code_challenge", await oauth.calculatePKCECodeChallenge(pending.codeVerifier));
      url.searchParams.set("code_challenge_method", "S256");
      return { url, pending };
    },

    async finish(callbackUrl, redirectUri, pending) {
      const as = await server();
      try {
        let params: URLSearchParams;
        try {
          params = oauth.validateAuthResponse(as, client, callbackUrl.searchParams, pending.state);
        } catch (error) {
          if (error instanceof oauth.AuthorizationResponseError) throw error;
          // RFC 9207's `iss`: an answer from another issuer than the configured one (a mix-up).
          if (error instanceof Error && error.message.includes('"iss"')) {
            throw new SignInError("untrusted_answer", `The sign-in answer does not come from the configured provider: ${error.message}.`, {
              cause: error,
            });
          }
          throw new SignInError("invalid_callback", "This sign-in answer does not belong to the sign-in this browser started.", {
            cause: error,
          });
        }
        const response = await oauth.authorizationCodeGrantRequest(
          as,
          client,
          clientAuth,
          params,
          redirectUri,
          pending.codeVerifier,
          options,
        );
        const tokens = await oauth.processAuthorizationCodeResponse(as, client, response, {
          expectedNonce: pending.nonce,
          requireIdToken: true,
        });
        // Its claims (issuer, audience, expiry, nonce) are checked above; its signature against the provider's keys here.
        await oauth.validateApplicationLevelSignature(as, response, options);
        const claims = oauth.getValidatedIdTokenClaims(tokens);
        if (!claims) throw new SignInError("untrusted_answer", "The provider sent no ID token.");
        let email = typeof claims.email === "string" ? claims.email : null;
        let name = typeof claims.name === "string" ? claims.name : null;
        // Some providers put profile claims only in UserInfo (oidc-provider by default).
        if ((email === null || name === null) && as.userinfo_endpoint) {
          const info = await oauth.processUserInfoResponse(
            as,
            client,
            claims.sub,
            await oauth.userInfoRequest(as, client, tokens.access_token, options),
          );
          email ??= typeof info.email === "string" ? info.email : null;
          name ??= typeof info.name === "string" ? info.name : null;
        }
        return { subject: claims.sub, email, name };
      } catch (error) {
        throw explain(error, "exchange");
      }
    },
  };
}
