// Signing in to the customers' portal over plain HTTP, against the real local OpenID provider that
// test/support/global-setup.ts starts (dev/oidc-provider.ts): the redirects followed by hand, the
// provider's own login form submitted with email and password. Works from the workers project and e2e alike.

/** Calls the gateway: a path (with query) on the gateway's origin. */
export type GatewayFetch = (path: string, init?: RequestInit) => Promise<Response>;

/** Every customer of the test provider signs in with this password (any email works: one customer per email). */
export const TEST_CUSTOMER_PASSWORD = "test-password";

/** A fresh customer's email, unique per call. */
export const newCustomerEmail = () => `customer-${crypto.randomUUID()}@example.test`;

/** The `sub` the local provider gives an email (as dev/oidc-provider.ts's `subjectOf`): the customer's identity `externalId`. */
export async function subjectOf(email: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(email.toLowerCase()));
  const hex = [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
  return `user_${hex.slice(0, 24)}`;
}

/** The `name=value` pairs a response sets, ready for a `Cookie` header; a cleared cookie is dropped. */
export function cookiesSet(response: Response, jar: Map<string, string> = new Map()): Map<string, string> {
  for (const line of response.headers.getSetCookie()) {
    const [pair = ""] = line.split(";");
    const eq = pair.indexOf("=");
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    if (value === "" || /;\s*max-age=0/i.test(line)) jar.delete(name);
    else jar.set(name, value);
  }
  return jar;
}

export const cookieHeader = (jar: Map<string, string>) => [...jar].map(([name, value]) => `${name}=${value}`).join("; ");

/** GET /_gateway/portal/login: where the gateway sends the browser, and the cookies it set for the callback. */
export async function startSignIn(gateway: GatewayFetch): Promise<{ authorizeUrl: string; cookies: Map<string, string> }> {
  const response = await gateway("/_gateway/portal/login", { redirect: "manual" });
  if (response.status !== 302) throw new Error(`login: ${response.status} ${await response.text()}`);
  return { authorizeUrl: response.headers.get("location") ?? "", cookies: cookiesSet(response) };
}

/**
 * At the provider: follows its redirects, submits its login form, and returns the URL it finally
 * sends the browser back to (the gateway's callback, with `code` and `state`, or an error).
 */
export async function authorizeAtProvider(authorizeUrl: string, email: string, password = TEST_CUSTOMER_PASSWORD): Promise<URL> {
  const jar = new Map<string, string>();
  let url = new URL(authorizeUrl);
  let init: RequestInit = {};
  for (let hop = 0; hop < 10; hop++) {
    const response = await fetch(url, { ...init, redirect: "manual", headers: { ...init.headers, cookie: cookieHeader(jar) } });
    cookiesSet(response, jar);
    const location = response.headers.get("location");
    if (location) {
      const next = new URL(location, url);
      if (next.pathname.endsWith("/_gateway/portal/callback")) return next;
      url = next;
      init = {};
      continue;
    }
    const page = await response.text();
    const action = page.match(/<form[^>]*action="([^"]+)"/)?.[1];
    if (!action || response.status !== 200) throw new Error(`provider at ${url.pathname}: ${response.status} ${page.slice(0, 300)}`);
    url = new URL(action, url);
    init = {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ email, password }).toString(),
    };
  }
  throw new Error("the provider redirected too often");
}

/** GET the callback URL the provider sent back, with the cookies /login set. */
export function finishSignIn(gateway: GatewayFetch, callbackUrl: URL, cookies: Map<string, string>): Promise<Response> {
  return gateway(`${callbackUrl.pathname}${callbackUrl.search}`, { redirect: "manual", headers: { cookie: cookieHeader(cookies) } });
}

/**
 * Signs a customer in end to end and returns the session as a `Cookie` header value, to send with
 * portal calls: `headers: { cookie }`. A new email is a new customer (its identity is created).
 */
export async function signIn(gateway: GatewayFetch, email: string, password = TEST_CUSTOMER_PASSWORD): Promise<string> {
  const { authorizeUrl, cookies } = await startSignIn(gateway);
  const callback = await authorizeAtProvider(authorizeUrl, email, password);
  const response = await finishSignIn(gateway, callback, cookies);
  if (response.status !== 303) throw new Error(`callback: ${response.status} ${await response.text()}`);
  return cookieHeader(cookiesSet(response));
}
