import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { TestProject } from "vitest/node";
import { startEchoUpstream } from "../../dev/echo-upstream.ts";
import { startOidcProvider } from "../../dev/oidc-provider.ts";

declare module "vitest" {
  export interface ProvidedContext {
    upstreamUrl: string;
    oidcIssuer: string;
    oidcMixUpIssuer: string;
  }
}

/** The portal's client at the test provider; the workers tests call the gateway as https://gw.test (and the portal host as portal.test). */
export const TEST_OIDC_CLIENT = {
  clientId: "test-portal",
  clientSecret: "test-portal-secret-0123456789",
  redirectUris: ["https://gw.test/_gateway/portal/callback", "https://portal.test/_gateway/portal/callback"],
};

/**
 * An issuer that publishes the real provider's endpoints under its own name, and no RFC 9207 `iss`
 * in its answers: ID tokens then arrive from another issuer than the one configured (a mix-up).
 */
async function startMixUpIssuer(realIssuer: string) {
  const real = (await (await fetch(`${realIssuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
  const server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ ...real, issuer: url, authorization_response_iss_parameter_supported: false }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** A real HTTP upstream and a real OpenID provider on loopback for every test file's gateway. */
export default async function setup(project: TestProject) {
  const upstream = await startEchoUpstream();
  const provider = await startOidcProvider({ clients: [TEST_OIDC_CLIENT], anyEmailPassword: "test-password" });
  const mixUp = await startMixUpIssuer(provider.issuer);
  project.provide("upstreamUrl", upstream.url);
  project.provide("oidcIssuer", provider.issuer);
  project.provide("oidcMixUpIssuer", mixUp.url);
  return async () => {
    await Promise.all([upstream.close(), provider.close(), mixUp.close()]);
  };
}
