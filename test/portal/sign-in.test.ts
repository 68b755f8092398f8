import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call } from "../support/gateway";
import { newCustomerEmail, signIn } from "../support/oidc";

const gateway = (path: string, init?: RequestInit) => call(env, path, init);

describe("portal sign-in", () => {
  it("signs a customer in at the real provider and starts a session", async () => {
    const cookie = await signIn(gateway, newCustomerEmail());
    expect(cookie).toMatch(/^gateway_portal_session=/);
    const page = await gateway("/_gateway/portal", { headers: { cookie } });
    expect(page.status).toBe(200);
  });
});
