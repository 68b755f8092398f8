import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import type { Env } from "../src/env";
import { call, expectProblem } from "./support/gateway";

// The gateway's API module fails to load once (as a module that cannot be fetched or evaluated would).
const loads = vi.hoisted(() => ({ count: 0 }));
vi.mock("../src/gateway/app", async (importOriginal) => {
  loads.count++;
  if (loads.count === 1) throw new Error("gateway API module failed to load");
  return importOriginal();
});

describe("the gateway's own API, loaded on the first /_gateway request", () => {
  it("answers a failed load with a problem+json 500, and loads it again on the next request", async () => {
    const failed = await call(env as Env, "/_gateway/health");
    const problem = await expectProblem(failed, 500, "internal_error");
    expect(JSON.stringify(problem)).not.toContain("failed to load");

    const retried = await call(env as Env, "/_gateway/health");
    expect(retried.status).toBe(200);
    expect(await retried.json()).toEqual({ status: "ok" });
    expect(loads.count).toBe(2);
  });
});
