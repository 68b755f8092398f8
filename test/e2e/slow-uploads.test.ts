// A route's timeoutMs measures the upstream, not the client's upload: chunked bodies written
// slowly on a real socket to the built gateway on workerd.
import { request } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EchoUpstream, startEchoUpstream } from "../../dev/echo-upstream.ts";
import type { LocalGateway } from "../../dev/local-gateway.ts";
import { startGateway } from "./support/gateway.ts";

const TIMEOUT_MS = 500;
const CLIENT_BODY_TIMEOUT_MS = 1500;

let upstream: EchoUpstream;
let gateway: LocalGateway;

beforeAll(async () => {
  upstream = await startEchoUpstream();
  const routes = [{ path: "/open/*", upstream: upstream.url, auth: "none", timeoutMs: TIMEOUT_MS }];
  gateway = await startGateway({
    bindings: { GATEWAY_ROUTES: JSON.stringify(routes), CLIENT_BODY_TIMEOUT_MS: String(CLIENT_BODY_TIMEOUT_MS) },
  });
});

afterAll(async () => {
  await gateway?.dispose();
  await upstream?.close();
});

interface Answer {
  status: number;
  body: { code?: string; bytes?: number };
  elapsedMs: number;
}

/** A chunked POST that writes `chunks` chunks `gapMs` apart, then ends the body only if `end`. */
function upload(path: string, chunks: number, gapMs: number, end: boolean): Promise<Answer> {
  const { hostname, port } = new URL(gateway.directUrl);
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path, method: "POST", headers: { "content-type": "text/plain" } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => {
        resolve({ status: res.statusCode!, body: text ? JSON.parse(text) : {}, elapsedMs: Date.now() - started });
        req.destroy();
      });
    });
    req.on("error", reject);
    (async () => {
      for (let i = 0; i < chunks; i++) {
        if (i > 0) await sleep(gapMs);
        if (req.destroyed) return;
        req.write("x".repeat(1024));
      }
      if (end) req.end();
    })().catch(reject);
  });
}

describe("slow uploads", () => {
  it("forwards a live upload that takes longer than the route's timeoutMs", async () => {
    const answer = await upload("/open/__sink", 8, 250, true);
    expect(answer.elapsedMs).toBeGreaterThan(TIMEOUT_MS * 3);
    expect(answer).toMatchObject({ status: 200, body: { bytes: 8 * 1024 } });
  });

  it("answers 408 request_timeout to a body that stops sending, after CLIENT_BODY_TIMEOUT_MS", async () => {
    const answer = await upload("/open/__sink", 2, 100, false);
    expect(answer).toMatchObject({ status: 408, body: { code: "request_timeout" } });
    expect(answer.elapsedMs).toBeGreaterThanOrEqual(CLIENT_BODY_TIMEOUT_MS);
    expect(answer.elapsedMs).toBeLessThan(CLIENT_BODY_TIMEOUT_MS + 3000);
  });

  it("still answers 504 upstream_timeout when the upstream does not answer after the body", async () => {
    const answer = await upload("/open/__hang", 3, 100, true);
    expect(answer).toMatchObject({ status: 504, body: { code: "upstream_timeout" } });
    expect(answer.elapsedMs).toBeLessThan(CLIENT_BODY_TIMEOUT_MS);
  });
});
