// A billing vendor's ingest endpoint on loopback for end-to-end tests: records every request (path,
// headers, parsed body, the status it answered) and answers 500 to a set number before it answers 200.
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedEvent {
  path: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
  status: number;
}

export interface BillingReceiver {
  url: string;
  received: ReceivedEvent[];
  /** The next `n` requests are answered `status` (500 unless given). */
  failNext(n: number, status?: number): void;
  close(): Promise<void>;
}

export async function startBillingReceiver(): Promise<BillingReceiver> {
  const received: ReceivedEvent[] = [];
  let failures = 0;
  let failStatus = 500;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const status = failures > 0 ? failStatus : 200;
      if (failures > 0) failures--;
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>;
      received.push({ path: request.url ?? "", headers: request.headers, body, status });
      response
        .writeHead(status, { "content-type": "application/json" })
        .end(status === 200 ? JSON.stringify({ object: "v2.billing.meter_event" }) : "{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    failNext: (n, status = 500) => {
      failures = n;
      failStatus = status;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
