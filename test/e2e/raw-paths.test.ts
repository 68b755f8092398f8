// Raw request targets through a real socket: `new Request()` and `fetch()` would resolve `..`
// and `%2e%2e` before the gateway saw them, so these are sent with node:http as written.
import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EchoUpstream, startEchoUpstream } from "../../dev/echo-upstream.ts";
import type { LocalGateway } from "../../dev/local-gateway.ts";
import { startGateway } from "./support/gateway.ts";

const ADMIN_TOKEN = "e2e-admin-token-0123456789abcdef";

let upstream: EchoUpstream;
let gateway: LocalGateway;

beforeAll(async () => {
  upstream = await startEchoUpstream();
  const routes = [
    { path: "/public/*", upstream: upstream.url, auth: "none" },
    { path: "/private/*", upstream: `${upstream.url}/private-upstream`, stripPrefix: true },
    { path: "/*", upstream: `${upstream.url}/catch-all`, auth: "none" },
  ];
  // No static assets: their router, in front of the worker, would parse the target before the gateway saw it.
  gateway = await startGateway({ bindings: { GATEWAY_ROUTES: JSON.stringify(routes), ADMIN_TOKEN }, assets: false });
});

afterAll(async () => {
  await gateway?.dispose();
  await upstream?.close();
});

interface RawAnswer {
  status: number;
  body: { code?: string; target?: string };
}

/** One request with its target on the wire exactly as given. */
function raw(base: string, target: string, headers: Record<string, string> = {}): Promise<RawAnswer> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path: target, method: "GET", headers }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode!, body: text ? JSON.parse(text) : {} }));
    });
    req.on("error", reject);
    req.end();
  });
}

const CLIMBING = [
  "/public/../private/x",
  "/public/%2e%2e/private/x",
  "/public/%2E%2E/private/x",
  "/public/.%2e/private/x",
  "/public/%2e./private/x",
  "/public/./x",
  "/public/a%2f..%2fprivate",
  "/public/..%2fprivate/x",
  "/public/..;/private/x",
  "/public//private/x",
  "/public/a\\..\\..\\private",
  "/public/a%5c..%5cprivate",
  "/public/../../_gateway/admin/keys",
  "/public/%2e%2e/%2e%2e/_gateway/admin/keys",
  "/_gateway/health/../admin/keys",
  "/_gateway/%2e%2e/_gateway/admin/keys",
  "/public/%252e%252e/private/x",
  "/public/%252E./private/x",
  "/public/a%252f..%252fprivate",
  "/public/%C0%AE%C0%AE/private/x",
  "/public/%E0%80%AE%E0%80%AE/private/x",
];

describe("raw paths on the gateway's own socket (workerd passes the target through unparsed)", () => {
  it.each(CLIMBING)("refuses %s with 400 invalid_request before any auth decision", async (target) => {
    const answer = await raw(gateway.directUrl, target, { authorization: `Bearer ${ADMIN_TOKEN}` });
    expect(answer.status).toBe(400);
    expect(answer.body.code).toBe("invalid_request");
  });

  it("passes a lone %2F inside a segment through unchanged", async () => {
    const answer = await raw(gateway.directUrl, "/public/repos/group%2Fproject/issues");
    expect(answer).toMatchObject({ status: 200, body: { target: "/public/repos/group%2Fproject/issues" } });
  });

  it("routes and forwards an escaped unreserved character as the character itself", async () => {
    expect((await raw(gateway.directUrl, "/%70rivate/x")).status).toBe(401);
    expect((await raw(gateway.directUrl, "/%70ublic/x")).body.target).toBe("/public/x");
  });

  it.each(["/_gateway%2Fadmin/keys", "/_gateway%2fadmin%2fkeys"])("never proxies %s", async (target) => {
    const answer = await raw(gateway.directUrl, target, { authorization: `Bearer ${ADMIN_TOKEN}` });
    expect(answer).toMatchObject({ status: 404, body: { code: "no_route" } });
  });
});

describe("raw paths behind miniflare's entry worker", () => {
  // Miniflare's entry worker re-parses the URL (WHATWG), so `..` and `%2e%2e` are resolved before
  // the gateway runs, as Cloudflare's zone URL normalisation does in production. The gateway then
  // sees, routes and forwards only the resolved path: never the raw one to a different route.
  it("sees /public/../private/x as /private/x and applies /private's auth to it", async () => {
    expect((await raw(gateway.url, "/public/../private/x")).status).toBe(401);
    expect((await raw(gateway.url, "/public/%2e%2e/_gateway/admin/keys")).status).toBe(401);
  });
});
