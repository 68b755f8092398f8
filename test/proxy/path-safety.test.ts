import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { checkPath } from "../../src/proxy/path-safety";
import { createKey } from "../support/admin";
import { call, type Echo, expectProblem, gatewayEnv } from "../support/gateway";

// Raw spellings that `new Request()` would resolve before the worker sees them (`..`, `%2e%2e`)
// are covered through a real socket in test/e2e/raw-paths.test.ts.
const REFUSED: Array<[string, string]> = [
  ["/a/../b", "dot segment"],
  ["/a/%2e%2e/b", "dot segment"],
  ["/a/%2E%2e/b", "dot segment"],
  ["/a/.%2e/b", "dot segment"],
  ["/a/%2e./b", "dot segment"],
  ["/a/./b", "dot segment"],
  ["/a/%2e/b", "dot segment"],
  ["/a%2f..%2fb", "dot segment"],
  ["/a%2F%2e%2e%2Fb", "dot segment"],
  ["/public/..;/private", "dot segment"],
  ["/public/%2e%2e;x/private", "dot segment"],
  ["/a/..", "dot segment"],
  ["/a//b", "empty path segment"],
  ["//a", "empty path segment"],
  ["/a/%2f/b", "empty path segment"],
  ["/a%2F%2Fb", "empty path segment"],
  ["/a\\..\\b", "backslash in path"],
  ["/a%5c..%5cb", "backslash in path"],
  ["/a/%252e%252e/b", "dot segment after decoding twice"],
  ["/a/%252E./b", "dot segment after decoding twice"],
  ["/a/.%252e/b", "dot segment after decoding twice"],
  ["/a%252f..%252fb", "dot segment after decoding twice"],
  ["/a%252F%252e%252e%252Fb", "dot segment after decoding twice"],
  ["/a/%25252e%25252e/b", "dot segment after decoding twice"],
  ["/a/%255c..%255cb", "backslash in path after decoding twice"],
  ["/a/%C0%AE%C0%AE/b", "overlong UTF-8 sequence"],
  ["/a/%c0%ae./b", "overlong UTF-8 sequence"],
  ["/a/%C1%9C", "overlong UTF-8 sequence"],
  ["/a/%E0%80%AE/b", "overlong UTF-8 sequence"],
  ["/a/%F0%80%80%AE/b", "overlong UTF-8 sequence"],
  ["/a/%25C0%25AE%25C0%25AE/b", "overlong UTF-8 sequence after decoding twice"],
];

const PASSED: Array<[string, string]> = [
  ["/group%2Fproject", "/group%2Fproject"],
  ["/repos/group%2fproject/issues", "/repos/group%2Fproject/issues"],
  ["/%70rivate/x", "/private/x"],
  ["/a/b/", "/a/b/"],
  ["/a/...", "/a/..."],
  ["/a/..b/.c", "/a/..b/.c"],
  ["/caf%C3%A9", "/caf%C3%A9"],
  ["/caf%25C3%25A9", "/caf%25C3%25A9"],
  ["/%E0%A4%85/%F0%9F%98%80", "/%E0%A4%85/%F0%9F%98%80"],
  ["/repos/group%252Fproject", "/repos/group%252Fproject"],
  ["/discount/100%25", "/discount/100%25"],
  ["/a/%252e%252e.txt", "/a/%252e%252e.txt"],
];

describe("path safety", () => {
  it.each(REFUSED)("refuses %s (%s)", (path, reason) => {
    expect(checkPath(path)).toEqual({ ok: false, reason });
  });

  it.each(PASSED)("passes %s on as %s", (path, canonical) => {
    expect(checkPath(path)).toEqual({ ok: true, path: canonical });
  });
});

describe("path safety through the gateway", () => {
  const gateway = gatewayEnv([
    { path: "/public/*", upstream: env.UPSTREAM_URL, auth: "none" },
    { path: "/private/*", upstream: `${env.UPSTREAM_URL}/private-upstream`, stripPrefix: true },
    { path: "/*", upstream: `${env.UPSTREAM_URL}/catch-all`, auth: "none" },
  ]);
  let key: string;
  beforeAll(async () => {
    ({ key } = await createKey(gateway));
  });

  // Spellings that survive `new Request()`: it leaves `%2f`, `//`, `;` and `\` escapes alone.
  it.each([
    "/public/a%2f..%2fprivate/x",
    "/public//private/x",
    "/public/..;/private/x",
    "/public/%2e%2e;/private/x",
    "/public/a%5c..%5cprivate",
    "/public/%252e%252e/private/x",
    "/public/a%252f..%252fprivate",
    "/public/%C0%AE%C0%AE/private/x",
    "/private/%E0%80%AE%E0%80%AE/x",
  ])("refuses %s with 400 invalid_request before any auth decision", async (path) => {
    const response = await call(gateway, path);
    expect(response.status).toBe(400);
    await expectProblem(response, 400, "invalid_request");
    expect(response.headers.get("www-authenticate")).toBeNull();
  });

  it("refuses an unsafe path on a route that requires a key with 400, not 401", async () => {
    const response = await call(gateway, "/private/a%2f..%2fb");
    expect(response.status).toBe(400);
  });

  it("passes a lone %2F inside a segment to the upstream unchanged", async () => {
    const response = await call(gateway, "/public/repos/group%2Fproject/issues");
    expect(response.status).toBe(200);
    const seen = (await response.json()) as Echo & { target: string };
    expect(seen.target).toBe("/public/repos/group%2Fproject/issues");
  });

  it("routes an escaped unreserved character as the character: /%70rivate is /private", async () => {
    const anonymous = await call(gateway, "/%70rivate/x");
    expect(anonymous.status).toBe(401);
    const response = await call(gateway, "/%70rivate/x", { headers: { "x-api-key": key } });
    const seen = (await response.json()) as Echo & { target: string };
    expect(seen.target).toBe("/private-upstream/x");
  });

  it.each(["/_gateway%2Fadmin/keys", "/_gateway%2fadmin/keys", "/_GATEWAY%2Fadmin/keys"])(
    "never proxies %s to a catch-all route",
    async (path) => {
      const response = await call(gateway, path, { headers: { authorization: `Bearer ${env.ADMIN_TOKEN}` } });
      expect(response.status).toBe(404);
      await expectProblem(response, 404, "no_route");
    },
  );

  it("serves /%5Fgateway/admin as the admin API itself, still behind the admin token", async () => {
    const response = await call(gateway, "/%5Fgateway/admin/keys", { method: "POST", body: "{}" });
    expect(response.status).toBe(401);
  });
});
