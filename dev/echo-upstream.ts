// A local upstream for `npm run dev`, tests and benchmarks: it answers every request with
// a JSON description of what it received, so the gateway's rewriting is visible.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

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
    default:
      return false;
  }
}

export async function startEchoUpstream(port = 0, host = "127.0.0.1"): Promise<EchoUpstream> {
  let count = 0;
  const server: Server = createServer(async (req, res) => {
    count++;
    const url = new URL(req.url ?? "/", "http://upstream.local");
    try {
      if (await special(req, res, url)) return;
      const echo: EchoBody = {
        method: req.method ?? "GET",
        path: url.pathname,
        query: queryObject(url),
        headers: req.headers,
        body: await readBody(req),
      };
      const payload = JSON.stringify(echo);
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(payload) });
      res.end(payload);
    } catch {
      res.destroy();
    }
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
        server.close(() => resolve());
      }),
  };
}

// `node dev/echo-upstream.ts [port]` runs it on its own.
if (import.meta.url === `file://${process.argv[1]}`) {
  const upstream = await startEchoUpstream(Number(process.argv[2] ?? 8788));
  console.log(`echo upstream listening on ${upstream.url}`);
}
