import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ADMIN_BODY_MAX_BYTES, IMPORT_BODY_MAX_BYTES } from "../../src/admin/body-limit";
import { call, expectProblem, gatewayEnv, json } from "../support/gateway";

const gateway = gatewayEnv([{ path: "/api/*", upstream: env.UPSTREAM_URL }]);

/** An admin call with a raw body, optionally streamed (no Content-Length). */
function post(path: string, body: string, streamed = false): Promise<Response> {
  const bytes = new TextEncoder().encode(body);
  const payload = streamed
    ? new ReadableStream<Uint8Array>({
        start(controller) {
          for (let at = 0; at < bytes.length; at += 16 * 1024) controller.enqueue(bytes.subarray(at, at + 16 * 1024));
          controller.close();
        },
      })
    : body;
  return call(gateway, `/_gateway/admin${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${env.ADMIN_TOKEN}`, "content-type": "application/json" },
    body: payload,
    ...(streamed && { duplex: "half" }),
  } as RequestInit);
}

describe("admin request bodies are capped", () => {
  it("refuses a key body over 64 KiB with 413 payload_too_large, with or without Content-Length", async () => {
    const body = JSON.stringify({ name: "big", metadata: { notes: "n".repeat(ADMIN_BODY_MAX_BYTES) } });
    await expectProblem(await post("/keys", body), 413, "payload_too_large");
    await expectProblem(await post("/keys", body, true), 413, "payload_too_large");
  });

  it("still takes a key with the largest metadata allowed", async () => {
    const body = JSON.stringify({ name: "fits", metadata: { notes: "n".repeat(4000) } });
    expect((await post("/keys", body)).status).toBe(201);
  });

  it("gives an import its own, larger cap", async () => {
    const entries = Array.from({ length: 100 }, (_, i) => ({
      hash: i.toString(16).padStart(64, "0"),
      name: "n".repeat(200),
      metadata: { notes: "m".repeat(1000) },
    }));
    const fits = JSON.stringify({ keys: entries });
    expect(fits.length).toBeGreaterThan(ADMIN_BODY_MAX_BYTES);
    await json(await post("/keys/import", fits), 200);
    const over = JSON.stringify({ keys: [{ hash: "0".repeat(64), name: "n", metadata: { notes: "m".repeat(IMPORT_BODY_MAX_BYTES) } }] });
    await expectProblem(await post("/keys/import", over, true), 413, "payload_too_large");
  });
});
