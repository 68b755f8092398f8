import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { call, expectProblem, gatewayEnv, recordingDataset } from "../support/gateway";

const usage = recordingDataset();
const gateway = gatewayEnv([{ path: "/open/*", upstream: env.UPSTREAM_URL, auth: "none", timeoutMs: 5000 }], {
  CLIENT_BODY_TIMEOUT_MS: "200",
  USAGE: usage.dataset,
});

/** A body that sends one chunk and then nothing, never ending. */
function stalledBody(): ReadableStream<Uint8Array> {
  let sent = false;
  return new ReadableStream({
    pull(controller) {
      if (sent) return new Promise<void>(() => {});
      sent = true;
      controller.enqueue(new TextEncoder().encode("first chunk"));
    },
  });
}

afterEach(() => vi.restoreAllMocks());

describe("a client body that stops sending", () => {
  it("gets 408 request_timeout after CLIENT_BODY_TIMEOUT_MS, recorded as the client's fault and logged as nothing", async () => {
    const logged: string[] = [];
    for (const level of ["log", "warn", "error"] as const) {
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void logged.push(args.map(String).join(" ")));
    }
    const started = Date.now();
    const response = await call(gateway, "/open/__sink", { method: "POST", body: stalledBody() });
    expect(response.status).toBe(408);
    await expectProblem(response, 408, "request_timeout");
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(logged).toEqual([]);
    expect(JSON.stringify(usage.points.at(-1))).toContain("request_timeout");
  });
});
