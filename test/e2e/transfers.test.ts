// Large and long-lived transfers through the built gateway on workerd, on real sockets.
import { readdirSync, readFileSync } from "node:fs";
import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EchoUpstream, startEchoUpstream } from "../../dev/echo-upstream.ts";
import type { LocalGateway } from "../../dev/local-gateway.ts";
import { startGateway } from "./support/gateway.ts";

const MiB = 1024 * 1024;
const TRANSFER = 100 * MiB;

let upstream: EchoUpstream;
let gateway: LocalGateway;

beforeAll(async () => {
  upstream = await startEchoUpstream();
  const routes = [
    { path: "/open/*", upstream: upstream.url, auth: "none" },
    { path: "/capped/*", upstream: upstream.url, auth: "none", maxBodyBytes: 64 * 1024 },
  ];
  gateway = await startGateway({ bindings: { GATEWAY_ROUTES: JSON.stringify(routes) } });
});

afterAll(async () => {
  await gateway?.dispose();
  await upstream?.close();
});

/** Resident memory of the workerd processes this test process started, in bytes. */
function workerdRss(): number {
  let total = 0;
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const [comm, rest] = [stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")), stat.slice(stat.lastIndexOf(")") + 2).split(" ")];
      if (comm !== "workerd" || Number(rest[1]) !== process.pid) continue;
      const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
      total += Number(rss?.[1] ?? 0) * 1024;
    } catch {
      // the process ended while being read
    }
  }
  return total;
}

/** Runs `transfer` while sampling workerd's RSS; answers the peak growth over the baseline. */
async function rssGrowth(transfer: () => Promise<void>): Promise<{ baseline: number; growth: number }> {
  const baseline = workerdRss();
  expect(baseline).toBeGreaterThan(0);
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, workerdRss())), 20);
  try {
    await transfer();
  } finally {
    clearInterval(sampler);
  }
  return { baseline, growth: Math.max(peak, workerdRss()) - baseline };
}

function generated(bytes: number): ReadableStream<Uint8Array> {
  const chunk = new Uint8Array(64 * 1024).fill(120);
  let left = bytes;
  return new ReadableStream({
    pull(controller) {
      if (left <= 0) return controller.close();
      const piece = left >= chunk.length ? chunk : chunk.subarray(0, left);
      left -= piece.length;
      controller.enqueue(piece.slice());
    },
  });
}

describe("transfers", () => {
  it("streams a 100 MiB download with workerd's memory flat", async () => {
    await (await fetch(`${gateway.url}/open/__bytes?n=${MiB}`)).arrayBuffer(); // warm up
    let received = 0;
    const { growth } = await rssGrowth(async () => {
      const response = await fetch(`${gateway.url}/open/__bytes?n=${TRANSFER}`);
      const reader = response.body!.getReader();
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) received += chunk.value.byteLength;
    });
    expect(received).toBe(TRANSFER);
    console.log(`download: workerd RSS grew ${(growth / MiB).toFixed(1)} MiB for ${TRANSFER / MiB} MiB`);
    expect(growth).toBeLessThan(32 * MiB);
  });

  it("streams a 100 MiB chunked upload with workerd's memory flat", async () => {
    let answer: unknown;
    const { growth } = await rssGrowth(async () => {
      const response = await fetch(`${gateway.url}/open/__sink`, {
        method: "POST",
        body: generated(TRANSFER),
        duplex: "half",
      } as RequestInit);
      answer = await response.json();
    });
    expect(answer).toEqual({ bytes: TRANSFER });
    console.log(`upload: workerd RSS grew ${(growth / MiB).toFixed(1)} MiB for ${TRANSFER / MiB} MiB`);
    expect(growth).toBeLessThan(32 * MiB);
  });

  it("answers 413 to a chunked upload past maxBodyBytes without the upstream getting it whole", async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const { hostname, port } = new URL(gateway.directUrl);
      const req = request({ host: hostname, port, path: "/capped/__sink", method: "POST" }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on("error", reject);
      const chunk = Buffer.alloc(16 * 1024, 120);
      for (let i = 0; i < 16; i++) req.write(chunk); // 256 KiB, chunked: no Content-Length
      req.end();
    });
    expect(status).toBe(413);
  });

  it("proxies a WebSocket end to end", async () => {
    const socket = new WebSocket(`${gateway.url.replace("http", "ws")}/open/chat`);
    const replies: string[] = [];
    await new Promise<void>((resolve, reject) => {
      socket.onerror = () => reject(new Error("WebSocket failed"));
      socket.onopen = () => socket.send("one");
      socket.onmessage = (event) => {
        replies.push(String(event.data));
        if (replies.length === 1) socket.send("two");
        else resolve();
      };
    });
    // Closed before the file ends, so no open socket keeps the gateway or the upstream from shutting down.
    const closed = new Promise((resolve) => socket.addEventListener("close", resolve));
    socket.close();
    await closed;
    expect(replies).toEqual(["echo: one", "echo: two"]);
  });
});
