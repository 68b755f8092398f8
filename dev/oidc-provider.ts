// A real OpenID Connect provider on loopback (oidc-provider) for `npm run dev` and the tests: the
// customers' portal signs in against it offline. Its sign-in page is a plain HTML form that accepts
// the demo customers (docs/portal.md), and, when asked, any address with one shared test password.
import { createHash, generateKeyPairSync, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import Provider, { type KoaContextWithOIDC } from "oidc-provider";

export interface DemoCustomer {
  email: string;
  password: string;
  name: string;
}

/** The two demo customers of `npm run dev`. */
export const DEMO_CUSTOMERS: DemoCustomer[] = [
  { email: "demo@example.com", password: "demo-password", name: "Demo Customer" },
  { email: "other@example.com", password: "other-password", name: "Other Customer" },
];

export interface OidcClient {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
  /**
   * An http://127.0.0.1 or http://localhost redirect URI then matches on any port (RFC 8252's rule for
   * loopback redirects, which oidc-provider applies to "native" clients): for gateways on ports picked at start.
   */
  anyLoopbackPort?: boolean;
}

export interface LocalOidcProviderOptions {
  clients: OidcClient[];
  port?: number;
  /** Any email signs in with this password (tests make as many customers as they need); unset: the demo customers only. */
  anyEmailPassword?: string;
}

export interface LocalOidcProvider {
  issuer: string;
  close(): Promise<void>;
}

/** A customer's `sub`: stable per email, so a second sign-in is the same customer. */
export const subjectOf = (email: string) => `user_${createHash("sha256").update(email.toLowerCase()).digest("hex").slice(0, 24)}`;

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch] ?? ch);

function loginPage(uid: string, error?: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in (local provider)</title>
<style>body{font:16px system-ui,sans-serif;max-width:22rem;margin:3rem auto;padding:0 1rem}label,input,button{display:block;width:100%;box-sizing:border-box}input{margin:.25rem 0 1rem;padding:.5rem}button{padding:.6rem}.error{color:#b00020}</style>
</head><body><main>
<h1>Sign in</h1>
<p>Local OpenID Connect provider. Demo customers: <code>demo@example.com</code> / <code>demo-password</code>,
<code>other@example.com</code> / <code>other-password</code>.</p>
${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ""}
<form method="post" action="/interaction/${escapeHtml(uid)}/login">
<label for="email">Email</label><input id="email" name="email" type="email" autocomplete="username" required>
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>
</main></body></html>`;
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}

export async function startOidcProvider(options: LocalOidcProviderOptions): Promise<LocalOidcProvider> {
  const accounts = new Map(DEMO_CUSTOMERS.map((customer) => [subjectOf(customer.email), customer]));
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const signingKey = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ format: "jwk" });

  const provider = new Provider(issuer, {
    clients: options.clients.map((client) => ({
      client_id: client.clientId,
      client_secret: client.clientSecret,
      redirect_uris: client.redirectUris,
      ...(client.anyLoopbackPort && { application_type: "native" }),
      grant_types: ["authorization_code"],
      response_types: ["code"],
    })),
    jwks: { keys: [{ ...signingKey, kid: "local", use: "sig", alg: "RS256" }] },
    cookies: { keys: [randomBytes(32).toString("hex")] },
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
    features: { devInteractions: { enabled: false } },
    ttl: { AuthorizationCode: 60, Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600 },
    interactions: { url: (_ctx: KoaContextWithOIDC, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    async findAccount(_ctx: KoaContextWithOIDC, sub: string) {
      const account = accounts.get(sub);
      if (!account) return undefined;
      return { accountId: sub, claims: () => ({ sub, email: account.email, email_verified: true, name: account.name }) };
    },
    // A first-party client: the customer is not asked to consent to the portal's own scopes.
    async loadExistingGrant(ctx: KoaContextWithOIDC) {
      const clientId = ctx.oidc.client?.clientId;
      const accountId = ctx.oidc.session?.accountId;
      if (!clientId || !accountId) return undefined;
      const grantId = ctx.oidc.result?.consent?.grantId ?? ctx.oidc.session?.grantIdFor(clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      const grant = new ctx.oidc.provider.Grant({ clientId, accountId });
      grant.addOIDCScope("openid email profile");
      await grant.save();
      return grant;
    },
  });
  const handleProvider = provider.callback();

  async function interaction(req: IncomingMessage, res: ServerResponse, uid: string, submit: boolean): Promise<void> {
    const details = await provider.interactionDetails(req, res);
    if (details.uid !== uid) throw new Error("interaction mismatch");
    const html = (status: number, body: string) => {
      res.writeHead(status, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
      res.end(body);
    };
    // Consent is asked of "native" clients even with a grant at hand: the portal is first-party, grant its scopes.
    if (details.prompt.name === "consent" && details.session?.accountId) {
      const grant = new provider.Grant({ clientId: String(details.params.client_id), accountId: details.session.accountId });
      grant.addOIDCScope("openid email profile");
      const grantId = await grant.save();
      return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    }
    if (!submit) return html(200, loginPage(uid));
    const form = await readForm(req);
    const email = (form.get("email") ?? "").trim().toLowerCase();
    const password = form.get("password") ?? "";
    const sub = subjectOf(email);
    const known = accounts.get(sub);
    const accepted = known
      ? known.password === password
      : options.anyEmailPassword !== undefined && email.includes("@") && password === options.anyEmailPassword;
    if (!accepted) return html(401, loginPage(uid, "Wrong email or password."));
    if (!known) accounts.set(sub, { email, password, name: email.split("@")[0] ?? email });
    await provider.interactionFinished(req, res, { login: { accountId: sub } }, { mergeWithLastSubmission: false });
  }

  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    const match = req.url?.match(/^\/interaction\/([A-Za-z0-9_-]+)(\/login)?$/);
    if (!match) return void handleProvider(req, res);
    const submit = match[2] !== undefined && req.method === "POST";
    interaction(req, res, match[1]!, submit).catch((error: unknown) => {
      if (res.headersSent) return res.destroy();
      res.writeHead(400, { "content-type": "text/plain; charset=utf-8" });
      res.end(`This sign-in cannot continue: ${error instanceof Error ? error.message : String(error)}. Start again.`);
    });
  });

  return {
    issuer,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// `node dev/oidc-provider.ts <redirect URI>` runs it on its own, with a client `local-portal` / `local-portal-secret`.
if (import.meta.url === `file://${process.argv[1]}`) {
  const provider = await startOidcProvider({
    clients: [{ clientId: "local-portal", clientSecret: "local-portal-secret", redirectUris: process.argv.slice(2) }],
  });
  console.log(`OpenID Connect provider on ${provider.issuer}`);
}
