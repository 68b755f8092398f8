import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Env } from "../../src/env";
import worker from "../../src/index";
import { expectProblem, json } from "../support/gateway";

const SHORT = "short-admin-token";
const withShortToken = { ...env, ADMIN_TOKEN: SHORT } as Env;

/** Lists keys with the short token, on the given origin (a loopback one is how `npm run dev` serves it). */
async function listKeys(origin: string): Promise<Response> {
  const ctx = createExecutionContext();
  const request = new Request(`${origin}/_gateway/admin/keys?limit=1`, { headers: { authorization: `Bearer ${SHORT}` } });
  const response = await worker.fetch(request, withShortToken, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

describe("ADMIN_TOKEN length", () => {
  it("refuses admin calls when ADMIN_TOKEN is shorter than 32 characters on a deployed gateway", async () => {
    const problem = await expectProblem(await listKeys("https://gw.test"), 503, "gateway_misconfigured");
    expect(problem.detail).toContain("32");
    expect(problem.detail).not.toContain(SHORT);
  });

  it("allows a short ADMIN_TOKEN when the gateway runs locally (npm run dev)", async () => {
    await json(await listKeys("http://localhost:8787"), 200);
  });
});
