import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, type Echo, expectProblem, gatewayEnv } from "../support/gateway";

const gateway = gatewayEnv([
  { path: "/open/*", upstream: env.UPSTREAM_URL, auth: "none" },
  { path: "/capped/*", upstream: env.UPSTREAM_URL, auth: "none", maxBodyBytes: 1024 },
]);

const encoder = new TextEncoder();

/** A request body of unknown length (sent chunked), one chunk per `pull`. */
function chunked(chunks: string[]): ReadableStream<Uint8Array> {
  let next = 0;
  return new ReadableStream({
    pull(controller) {
      if (next < chunks.length) controller.enqueue(encoder.encode(chunks[next++]!));
      else controller.close();
    },
  });
}

describe("streaming", () => {
  it("delivers the first byte of a slow upstream before the upstream finishes", async () => {
    const started = Date.now();
    const response = await call(gateway, "/open/__slow?ms=1500");
    const reader = response.body!.getReader();
    const first = await reader.read();
    const firstAt = Date.now() - started;
    expect(new TextDecoder().decode(first.value)).toBe("first\n");
    expect(firstAt).toBeLessThan(1000);
    let rest = "";
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) rest += new TextDecoder().decode(chunk.value);
    expect(rest).toBe("last\n");
    expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
  });

  it("streams the request body: the upstream answers from the first chunk while the client is still sending", async () => {
    let finishBody!: () => void;
    const bodyFinished = new Promise<void>((resolve) => (finishBody = resolve));
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (sent++ === 0) return controller.enqueue(encoder.encode("first chunk"));
        await bodyFinished;
        controller.close();
      },
    });
    const response = await call(gateway, "/open/__first-chunk", { method: "POST", body });
    expect(sent).toBe(2); // the second pull is still waiting: the body has not ended
    finishBody();
    expect(await response.text()).toBe("first chunk");
  });

  it("keeps Content-Length for a body of known length instead of re-chunking it", async () => {
    const response = await call(gateway, "/capped/x", { method: "POST", body: "x".repeat(1000), headers: { "content-length": "1000" } });
    const seen = (await response.json()) as Echo;
    expect(seen.headers["content-length"]).toBe("1000");
    expect(seen.headers["transfer-encoding"]).toBeUndefined();
    expect(seen.body).toHaveLength(1000);
  });

  it("passes a chunked body under maxBodyBytes through whole", async () => {
    const response = await call(gateway, "/capped/x", { method: "POST", body: chunked(["a".repeat(500), "b".repeat(500)]) });
    expect(response.status).toBe(200);
    expect(((await response.json()) as Echo).body).toBe("a".repeat(500) + "b".repeat(500));
  });

  it("answers 413 for a chunked body that grows past maxBodyBytes, and the upstream never gets it whole", async () => {
    const path = `/capped/chunked-${crypto.randomUUID()}`;
    const response = await call(gateway, path, { method: "POST", body: chunked(["a".repeat(600), "b".repeat(600), "c".repeat(600)]) });
    expect(response.status).toBe(413);
    await expectProblem(response, 413, "payload_too_large");
  });

  it("answers 413 from Content-Length alone, before sending anything upstream", async () => {
    const path = `/capped/declared-${crypto.randomUUID()}`;
    const response = await call(gateway, path, { method: "POST", body: "x".repeat(1025) });
    expect(response.status).toBe(413);
    const received = await call(gateway, `/open/__received?path=${path}`);
    expect(await received.json()).toEqual({ count: 0 });
  });
});
