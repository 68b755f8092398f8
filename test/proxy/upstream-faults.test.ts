import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { createKey } from "../support/admin";
import { call, expectProblem, gatewayEnv } from "../support/gateway";

const gateway = gatewayEnv([{ path: "/api/*", upstream: env.UPSTREAM_URL, timeoutMs: 300 }]);

let key: string;
beforeAll(async () => {
  ({ key } = await createKey(gateway));
});

async function expectFault(path: string, status: number, code: string) {
  const response = await call(gateway, path, { headers: { "x-api-key": key } });
  const body = await expectProblem(response, status, code);
  expect(body.detail).not.toMatch(/Error|stack|at \w+ \(/);
}

describe("a misbehaving upstream", () => {
  it("that resets the connection gets 502 upstream_unreachable", async () => {
    await expectFault("/api/__reset", 502, "upstream_unreachable");
  });

  it("that answers bytes that are not HTTP gets 502 upstream_unreachable", async () => {
    await expectFault("/api/__garbage", 502, "upstream_unreachable");
  });

  it("that never answers gets 504 upstream_timeout", async () => {
    await expectFault("/api/__hang", 504, "upstream_timeout");
  });

  it("that answers 5xx itself is passed through unchanged, not turned into a gateway error", async () => {
    const response = await call(gateway, "/api/__status?code=503", { headers: { "x-api-key": key } });
    expect(response.status).toBe(503);
    expect(response.headers.get("content-type")).toBe("text/plain");
  });
});
