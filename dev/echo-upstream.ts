// A local upstream for `npm run dev`, tests and benchmarks: it answers every request with
// a JSON description of what it received, so the gateway's rewriting is visible.
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface EchoUpstream {
  url: string;
  port: number;
  /** Requests received since start (or the last reset), by path. */
  received(): number;
  reset(): void;
  close(): Promise<void>;
}

interface EchoBody {
  method: string;
  /** The request target exactly as it arrived on the wire, before any URL parsing. */
  target: string;
  path: string;
  query: Record<string, string | string[]>;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function queryObject(url: URL): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const [name, value] of url.searchParams) {
    const seen = query[name];
    query[name] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
  }
  return query;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Requests received per path, for tests that count attempts (`__received?path=`). */
const receivedByPath = new Map<string, number>();
/** The last echoed request per path, for callers that cannot read the echo themselves (a webhook delivery). */
const lastByPath = new Map<string, EchoBody>();

/** One unfragmented WebSocket frame (RFC 6455 §5.2), server side: never masked. */
function wsFrame(opcode: number, payload: Buffer): Buffer {
  const length = payload.length;
  const header = length < 126 ? Buffer.from([0x80 | opcode, length]) : Buffer.from([0x80 | opcode, 126, length >> 8, length & 0xff]);
  return Buffer.concat([header, payload]);
}

/** Echoes every text or binary message back, prefixed "echo: "; enough for proxy tests, not a full WebSocket server. */
function webSocketEcho(req: IncomingMessage, socket: Socket): void {
  const accept = createHash("sha1").update(`${req.headers["sec-websocket-key"]}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest("base64");
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
  let buffered = Buffer.alloc(0);
  socket.on("data", (data: Buffer) => {
    buffered = Buffer.concat([buffered, data]);
    while (buffered.length >= 2) {
      const opcode = buffered[0]! & 0x0f;
      let length = buffered[1]! & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (buffered.length < 4) return;
        length = buffered.readUInt16BE(2);
        offset = 4;
      }
      const masked = (buffered[1]! & 0x80) !== 0;
      const mask = masked ? buffered.subarray(offset, offset + 4) : undefined;
      offset += masked ? 4 : 0;
      if (buffered.length < offset + length) return;
      const payload = Buffer.from(buffered.subarray(offset, offset + length));
      if (mask) for (let i = 0; i < payload.length; i++) payload[i]! ^= mask[i % 4]!;
      buffered = buffered.subarray(offset + length);
      if (opcode === 0x8) {
        socket.end(wsFrame(0x8, payload));
        return;
      }
      if (opcode === 0x9) socket.write(wsFrame(0xa, payload));
      if (opcode === 0x1 || opcode === 0x2) socket.write(wsFrame(opcode, Buffer.concat([Buffer.from("echo: "), payload])));
    }
  });
  socket.on("error", () => socket.destroy());
}

/** Test-only behaviours, selected by the path's last segment (`/__hang`, `/__slow`, ...). */
async function special(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
  const last = url.pathname.split("/").pop() ?? "";
  switch (last) {
    case "__hang":
      return true; // never answers: the gateway's timeout must fire
    case "__slow": {
      // First chunk at once, the rest after a delay: proves the response streams.
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("first\n");
      await sleep(Number(url.searchParams.get("ms") ?? 1000));
      res.end("last\n");
      return true;
    }
    case "__redirect":
      res.writeHead(302, { location: "https://elsewhere.example/next" });
      res.end();
      return true;
    case "__status":
      res.writeHead(Number(url.searchParams.get("code") ?? 200), { "content-type": "text/plain" });
      res.end("status");
      return true;
    case "__bytes": {
      // A large streamed body of the asked size, in 64 KiB chunks, with backpressure.
      let left = Number(url.searchParams.get("n") ?? 0);
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(left) });
      const chunk = Buffer.alloc(64 * 1024, 120);
      while (left > 0) {
        const piece = left >= chunk.length ? chunk : chunk.subarray(0, left);
        left -= piece.length;
        if (!res.write(piece)) await new Promise((resolve) => res.once("drain", resolve));
      }
      res.end();
      return true;
    }
    case "__reset":
      req.socket.destroy();
      return true;
    case "__garbage":
      // Not HTTP at all: what a misbehaving upstream or a wrong port answers.
      req.socket.end("\u0000\u0001SSH-2.0-not-http\r\n\r\n");
      return true;
    case "__sink": {
      // Reads the whole request body without keeping it and answers with its size.
      let bytes = 0;
      for await (const chunk of req) bytes += (chunk as Buffer).length;
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ bytes }));
      return true;
    }
    case "__received": {
      // How many requests a path has received, counted since the upstream started.
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ count: receivedByPath.get(url.searchParams.get("path") ?? "") ?? 0 }));
      return true;
    }
    case "__last": {
      // The last request a path received (as echoed), e.g. a webhook delivery's headers and body.
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(lastByPath.get(url.searchParams.get("path") ?? "") ?? null));
      return true;
    }
    case "__respond": {
      // Answers with the response headers named in the query: `?h=name:value&h=…`.
      for (const field of url.searchParams.getAll("h")) {
        const colon = field.indexOf(":");
        res.appendHeader(field.slice(0, colon), field.slice(colon + 1));
      }
      res.writeHead(200, { "content-type": "text/plain" });
      res.end("headers");
      return true;
    }
    case "__first-chunk": {
      // Answers with the request body's first chunk as soon as it arrives, before the body ends:
      // proves the gateway streams request bodies instead of buffering them.
      const first = await new Promise<Buffer>((resolve) => req.once("data", resolve));
      res.writeHead(200, { "content-type": "text/plain" });
      res.end(first);
      req.resume();
      return true;
    }
    default:
      return false;
  }
}

export async function startEchoUpstream(port = 0, host = "127.0.0.1"): Promise<EchoUpstream> {
  let count = 0;
  const server: Server = createServer(async (req, res) => {
    count++;
    const url = new URL(req.url ?? "/", "http://upstream.local");
    receivedByPath.set(url.pathname, (receivedByPath.get(url.pathname) ?? 0) + 1);
    try {
      if (await special(req, res, url)) return;
      const echo: EchoBody = {
        method: req.method ?? "GET",
        target: req.url ?? "/",
        path: url.pathname,
        query: queryObject(url),
        headers: req.headers,
        body: await readBody(req),
      };
      lastByPath.set(url.pathname, echo);
      const payload = JSON.stringify(echo);
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(payload) });
      res.end(payload);
    } catch {
      res.destroy();
    }
  });
  // Upgraded sockets leave the server's connection list: kept here so `close()` can end them.
  const upgraded = new Set<Socket>();
  server.on("upgrade", (req: IncomingMessage, socket: Socket) => {
    upgraded.add(socket);
    socket.once("close", () => upgraded.delete(socket));
    if (req.headers.upgrade?.toLowerCase() === "websocket") webSocketEcho(req, socket);
    else socket.destroy();
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    received: () => count,
    reset: () => {
      count = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        for (const socket of upgraded) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

// `node dev/echo-upstream.ts [port]` runs it on its own.
if (import.meta.url === `file://${process.argv[1]}`) {
  const upstream = await startEchoUpstream(Number(process.argv[2] ?? 8788));
  console.log(`echo upstream listening on ${upstream.url}`);
}
