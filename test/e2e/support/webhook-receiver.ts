// A webhook receiver on loopback for end-to-end tests: it checks every delivery's Standard
// Webhooks signature itself (node:crypto, independent of the gateway's signing library) and
// answers 500 to a set number of attempts before it answers 200.
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedAttempt {
  id: string;
  timestamp: number;
  signatureValid: boolean;
  status: number;
  body: { type: string; timestamp: string; data: Record<string, unknown> };
  headers: IncomingHttpHeaders;
}

export interface WebhookReceiver {
  url: string;
  attempts: ReceivedAttempt[];
  /** The next `n` attempts are answered 500. */
  failNext(n: number): void;
  /** Verify signatures with this secret from now on. */
  useSecret(secret: string): void;
  close(): Promise<void>;
}

function signatureValid(secret: string, headers: IncomingHttpHeaders, body: string): boolean {
  const id = String(headers["webhook-id"]);
  const timestamp = String(headers["webhook-timestamp"]);
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const expected = createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest();
  return String(headers["webhook-signature"] ?? "")
    .split(" ")
    .some((entry) => {
      const [version, signature] = entry.split(",");
      const given = Buffer.from(signature ?? "", "base64");
      return version === "v1" && given.length === expected.length && timingSafeEqual(given, expected);
    });
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const attempts: ReceivedAttempt[] = [];
  let failures = 0;
  let secret = "";
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const status = failures > 0 ? 500 : 200;
      if (failures > 0) failures--;
      attempts.push({
        id: String(request.headers["webhook-id"]),
        timestamp: Number(request.headers["webhook-timestamp"]),
        signatureValid: signatureValid(secret, request.headers, body),
        status,
        body: JSON.parse(body),
        headers: request.headers,
      });
      response.writeHead(status, { "content-type": "text/plain" }).end(status === 200 ? "ok" : "try again");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    attempts,
    failNext: (n) => {
      failures = n;
    },
    useSecret: (value) => {
      secret = value;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
