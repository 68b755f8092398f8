import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { GatewayClientError, gatewayClient } from "../../src/client";
import worker from "../../src/index";
import { createKey } from "../support/admin";
import { gatewayEnv } from "../support/gateway";

const gateway = gatewayEnv([{ path: "/api/*", upstream: env.UPSTREAM_URL }]);

/** The client's requests go into the worker exactly as the runtime would dispatch them. */
async function intoWorker(request: Request): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await worker.fetch(request, gateway, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

const client = (token: string) => gatewayClient({ baseUrl: "https://gw.test", token, fetch: intoWorker });

describe("the TypeScript client", () => {
  it("verifies a key and spends its limits", async () => {
    const created = await createKey(gateway, { owner: "acme", rateLimits: [{ name: "minute", limit: 2, window: 60 }] });
    const verifier = client(env.ADMIN_TOKEN as string);
    expect(await verifier.verify({ key: created.key })).toMatchObject({ valid: true, keyId: created.id, owner: "acme" });
    expect(await verifier.verify({ key: created.key, cost: 2 })).toMatchObject({ valid: false, code: "rate_limited" });
  });

  it("throws the gateway's refusal of the call itself as a GatewayClientError", async () => {
    const error = await client("wrong-token")
      .verify({ key: "gk_live_x" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayClientError);
    expect(error).toMatchObject({ status: 401, code: "invalid_token" });
  });
});
