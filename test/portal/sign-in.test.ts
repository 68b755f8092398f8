import { env } from "cloudflare:workers";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import type { AnyStageEnv, Env } from "../../src/env";
import { renderError } from "../../src/http/problem";
import { requireCustomer } from "../../src/portal/session";
import { admin, type IdentityJson } from "../support/admin";
import { withClockAhead } from "../support/clock";
import { call, expectProblem, json } from "../support/gateway";
import {
  authorizeAtProvider,
  cookieHeader,
  cookiesSet,
  finishSignIn,
  newCustomerEmail,
  signIn,
  startSignIn,
  subjectOf,
} from "../support/oidc";

const at = (target: Env) => (path: string, init?: RequestInit) => call(target, path, init);
const gateway = at(env);

/** The identity a customer's `sub` names, through the admin API. */
async function identitiesOf(email: string): Promise<IdentityJson[]> {
  const page = await json<{ items: IdentityJson[] }>(await admin(env, "GET", `/identities?externalId=${await subjectOf(email)}`), 200);
  return page.items;
}

/** An app whose only route needs a customer: `requireCustomer()` as portal API routes use it, on the real D1. */
function customerEcho(target: Env) {
  const app = new Hono<AnyStageEnv>().onError(renderError);
  app.get("/_gateway/portal/whoami", requireCustomer(), (c) => c.json(c.get("customer")));
  return async (cookie: string): Promise<Response> =>
    app.request("https://gw.test/_gateway/portal/whoami", { headers: { cookie } }, target);
}

async function expectPage(response: Response, status: number, text: RegExp): Promise<void> {
  const body = await response.text();
  expect(response.status, body).toBe(status);
  expect(response.headers.get("content-type")).toMatch(/^text\/html/);
  expect(body).toMatch(text);
  expect(body).toContain('href="/_gateway/portal/login"');
}

describe("portal sign-in", () => {
  it("creates the customer's identity on the first sign-in, audited as the customer, and finds it on the next", async () => {
    const email = newCustomerEmail();
    const cookie = await signIn(gateway, email);
    const [identity, ...others] = await identitiesOf(email);
    expect(others).toEqual([]);
    expect(identity).toMatchObject({ externalId: await subjectOf(email), name: email.split("@")[0], metadata: { email } });
    const page = await gateway("/_gateway/portal", { headers: { cookie } });
    expect(page.status).toBe(200);
    // Same-origin writes carry their Origin: under `no-referrer` a browser's form would send `Origin: null`.
    expect(page.headers.get("referrer-policy")).toBe("same-origin");
    expect(page.headers.get("content-security-policy")).toContain("default-src 'self'");
    const me = await json(await customerEcho(env)(cookie), 200);
    expect(me).toEqual({ identityId: identity!.id, subject: identity!.externalId, email, name: identity!.name });

    const audit = await json<{ items: { action: string; actor: string }[] }>(
      await admin(env, "GET", `/audit?identityId=${identity!.id}`),
      200,
    );
    expect(audit.items).toEqual([expect.objectContaining({ action: "identity.create", actor: `customer:${identity!.id}` })]);

    const again = await signIn(gateway, email);
    expect(again).not.toBe(cookie);
    expect(await identitiesOf(email)).toEqual([identity]);
    expect(await json(await customerEcho(env)(again), 200)).toMatchObject({ identityId: identity!.id });
  });

  it("puts a new customer on PORTAL_DEFAULT_PLAN, and on none when it names no plan", async () => {
    const name = `free-${crypto.randomUUID().slice(0, 8)}`;
    const plan = await json<{ id: string }>(
      await admin(env, "POST", "/plans", { name, rateLimits: [{ name: "minute", limit: 5, window: 60 }] }),
      201,
    );
    const onPlan = newCustomerEmail();
    await signIn(at({ ...env, PORTAL_DEFAULT_PLAN: name } as Env), onPlan);
    expect(await identitiesOf(onPlan)).toEqual([expect.objectContaining({ planId: plan.id })]);

    const withoutPlan = newCustomerEmail();
    await signIn(at({ ...env, PORTAL_DEFAULT_PLAN: "no-such-plan" } as Env), withoutPlan);
    expect(await identitiesOf(withoutPlan)).toEqual([expect.objectContaining({ planId: null })]);
  });

  it("creates one identity when the same customer's first two sign-ins finish at once", async () => {
    const email = newCustomerEmail();
    const started = await Promise.all([startSignIn(gateway), startSignIn(gateway)]);
    const callbacks = await Promise.all(started.map(({ authorizeUrl }) => authorizeAtProvider(authorizeUrl, email)));
    const answers = await Promise.all(started.map(({ cookies }, i) => finishSignIn(gateway, callbacks[i]!, cookies)));
    expect(answers.map((r) => r.status)).toEqual([303, 303]);
    const identities = await identitiesOf(email);
    expect(identities).toHaveLength(1);
    for (const answer of answers) {
      expect(await json(await customerEcho(env)(cookieHeader(cookiesSet(answer))), 200)).toMatchObject({
        identityId: identities[0]!.id,
      });
    }
  });

  it("sets the session cookie HttpOnly, SameSite=Lax, Secure, only for the portal, for at most 12 h", async () => {
    const { authorizeUrl, cookies } = await startSignIn(gateway);
    const response = await finishSignIn(gateway, await authorizeAtProvider(authorizeUrl, newCustomerEmail()), cookies);
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/_gateway/portal");
    const session = response.headers.getSetCookie().find((line) => line.startsWith("gateway_portal_session="));
    expect(session).toMatch(/; HttpOnly/);
    expect(session).toMatch(/; SameSite=Lax/);
    expect(session).toMatch(/; Secure/);
    expect(session).toMatch(/; Path=\/_gateway\/portal(;|$)/);
    expect(Number(session?.match(/Max-Age=(\d+)/)?.[1])).toBe(43_200);
  });

  it("serves the portal page to a visitor without a session: the page itself offers sign-in", async () => {
    const response = await gateway("/_gateway/portal", { redirect: "manual" });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
  });

  it("answers a portal API call without a session 401 session_required", async () => {
    await expectProblem(await customerEcho(env)(""), 401, "session_required");
    await expectProblem(await customerEcho(env)(`gateway_portal_session=${"x".repeat(43)}`), 401, "session_required");
  });
});

describe("portal sign-in failures", () => {
  it("refuses a callback whose state belongs to another sign-in", async () => {
    const first = await startSignIn(gateway);
    const second = await startSignIn(gateway);
    const callback = await authorizeAtProvider(first.authorizeUrl, newCustomerEmail());
    await expectPage(await finishSignIn(gateway, callback, second.cookies), 400, /does not belong to the sign-in this browser started/);
  });

  it("refuses a callback in a browser that started no sign-in", async () => {
    const { authorizeUrl } = await startSignIn(gateway);
    const callback = await authorizeAtProvider(authorizeUrl, newCustomerEmail());
    await expectPage(await finishSignIn(gateway, callback, new Map()), 400, /No sign-in was started in this browser/);
  });

  it("refuses a callback with a forged sign-in cookie", async () => {
    const { authorizeUrl, cookies } = await startSignIn(gateway);
    const callback = await authorizeAtProvider(authorizeUrl, newCustomerEmail());
    const [name, value] = [...cookies][0]!;
    const forged = new Map([[name, value.replace(/.{4}$/, "AAAA")]]);
    await expectPage(await finishSignIn(gateway, callback, forged), 400, /No sign-in was started in this browser/);
  });

  it("says so when the provider answers with an error", async () => {
    const { authorizeUrl, cookies } = await startSignIn(gateway);
    const state = new URL(authorizeUrl).searchParams.get("state");
    const callback = new URL(
      `https://gw.test/_gateway/portal/callback?error=access_denied&error_description=The+user+cancelled&state=${state}&iss=${env.OIDC_ISSUER}`,
    );
    await expectPage(await finishSignIn(gateway, callback, cookies), 400, /did not sign you in \(access_denied: The user cancelled\)/);
  });

  it("refuses a sign-in code used a second time", async () => {
    const { authorizeUrl, cookies } = await startSignIn(gateway);
    const callback = await authorizeAtProvider(authorizeUrl, newCustomerEmail());
    expect((await finishSignIn(gateway, callback, cookies)).status).toBe(303);
    await expectPage(await finishSignIn(gateway, callback, cookies), 400, /the sign-in code was used already or has expired/);
  });

  it("refuses an ID token from another issuer than OIDC_ISSUER", async () => {
    // The mix-up issuer names the real provider's endpoints as its own: the ID token's `iss` is the real provider's.
    const mixedUp = at({ ...env, OIDC_ISSUER: env.OIDC_MIX_UP_ISSUER } as Env);
    const { authorizeUrl, cookies } = await startSignIn(mixedUp);
    const callback = await authorizeAtProvider(authorizeUrl, newCustomerEmail());
    const email = newCustomerEmail();
    // As a provider without RFC 9207's `iss` answers: only the ID token can tell.
    const withoutIss = new URL(callback);
    withoutIss.searchParams.delete("iss");
    await expectPage(
      await finishSignIn(mixedUp, withoutIss, cookies),
      502,
      /failed verification: unexpected JWT &quot;iss&quot; \(issuer\) claim value/,
    );
    // With `iss` in the answer it is refused before the code is exchanged.
    const second = await startSignIn(mixedUp);
    const answered = await authorizeAtProvider(second.authorizeUrl, email);
    await expectPage(
      await finishSignIn(mixedUp, answered, second.cookies),
      502,
      /does not come from the configured provider: unexpected &quot;iss&quot;/,
    );
    expect(await identitiesOf(email)).toEqual([]);
  });

  it("answers 502 with a page when the provider is down", async () => {
    const down = at({ ...env, OIDC_ISSUER: "http://127.0.0.1:9" } as Env);
    await expectPage(await down("/_gateway/portal/login"), 502, /sign-in provider is unavailable/);
  });

  it("answers 503 with a page while no provider is configured", async () => {
    const unset = at({ ...env, OIDC_ISSUER: undefined } as unknown as Env);
    await expectPage(await unset("/_gateway/portal/login"), 503, /not set up/);
  });
});

describe("portal sessions", () => {
  it("ends the session on logout: the cookie replayed is refused", async () => {
    const cookie = await signIn(gateway, newCustomerEmail());
    const whoami = customerEcho(env);
    expect((await whoami(cookie)).status).toBe(200);
    const out = await gateway("/_gateway/portal/logout", { method: "POST", headers: { cookie, origin: "https://gw.test" } });
    expect(out.status).toBe(204);
    expect(out.headers.getSetCookie().join()).toMatch(/gateway_portal_session=;.*Max-Age=0/);
    await expectProblem(await whoami(cookie), 401, "session_required");
    await expectProblem(await gateway("/_gateway/portal/api/me", { headers: { cookie } }), 401, "session_required");
  });

  it("sends a browser's sign-out form to a signed-out page", async () => {
    const cookie = await signIn(gateway, newCustomerEmail());
    const out = await gateway("/_gateway/portal/logout", {
      method: "POST",
      headers: { cookie, origin: "https://gw.test", accept: "text/html", "content-type": "application/x-www-form-urlencoded" },
      redirect: "manual",
    });
    expect(out.status).toBe(303);
    expect(out.headers.get("location")).toBe("/_gateway/portal/signed-out");
    expect((await gateway("/_gateway/portal/signed-out")).status).toBe(200);
  });

  it("ends a session at its maximum age", async () => {
    const shortLived = { ...env, PORTAL_SESSION_MAX_AGE_SECONDS: "1" } as unknown as Env;
    const cookie = await signIn(at(shortLived), newCustomerEmail());
    const whoami = customerEcho(shortLived);
    expect((await whoami(cookie)).status).toBe(200);
    await withClockAhead(1_100, async () => {
      await expectProblem(await whoami(cookie), 401, "session_required");
    });
  });

  it("refuses a write from another origin, or without one, 403 cross_site_request, and keeps the session", async () => {
    const cookie = await signIn(gateway, newCustomerEmail());
    const logout = (headers: Record<string, string>) =>
      gateway("/_gateway/portal/logout", { method: "POST", headers: { cookie, ...headers } });
    await expectProblem(await logout({ origin: "https://evil.test" }), 403, "cross_site_request");
    await expectProblem(await logout({ origin: "http://gw.test" }), 403, "cross_site_request");
    await expectProblem(await logout({ "content-type": "application/json" }), 403, "cross_site_request");
    expect((await customerEcho(env)(cookie)).status).toBe(200);
  });
});
