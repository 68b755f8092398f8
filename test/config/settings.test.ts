import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { buildConfig } from "../../src/config/settings";
import { call, expectProblem, gatewayEnv } from "../support/gateway";

describe("configuration", () => {
  it("accepts routes as a parsed TOML array or as a JSON string", () => {
    const routes = [{ path: "/v1/*", upstream: "https://api.example.com/base" }];
    for (const GATEWAY_ROUTES of [routes, JSON.stringify(routes)]) {
      const result = buildConfig({ GATEWAY_ROUTES });
      expect(result.ok).toBe(true);
    }
  });

  it("takes LEASE_TTL_MS from 0 (ask the key's object every time) up, 1000 by default", () => {
    const routes = [{ path: "/v1/*", upstream: "https://api.example.com" }];
    const leaseTtl = (value?: unknown) => {
      const result = buildConfig({ GATEWAY_ROUTES: routes, ...(value !== undefined && { LEASE_TTL_MS: value }) });
      return result.ok ? result.config.leaseTtlMs : result.detail;
    };
    expect(leaseTtl()).toBe(1000);
    expect(leaseTtl("0")).toBe(0);
    expect(leaseTtl(250)).toBe(250);
    expect(leaseTtl("-1")).toContain("LEASE_TTL_MS");
    expect(leaseTtl(60_001)).toContain("LEASE_TTL_MS");
  });

  it("reads GitHub's secret-scanning keys from GitHub and revokes leaked keys by default; other URLs and actions are checked", () => {
    const routes = [{ path: "/v1/*", upstream: "https://api.example.com" }];
    const scanning = (vars: Record<string, unknown> = {}) => {
      const result = buildConfig({ GATEWAY_ROUTES: routes, ...vars });
      return result.ok ? result.config.secretScanning : result.detail;
    };
    expect(scanning()).toEqual({ keysUrl: "https://api.github.com/meta/public_keys/secret_scanning", leakedKeyAction: "revoke" });
    expect(scanning({ SECRET_SCANNING_KEYS_URL: "http://127.0.0.1:9999/keys", LEAKED_KEY_ACTION: "notify" })).toEqual({
      keysUrl: "http://127.0.0.1:9999/keys",
      leakedKeyAction: "notify",
    });
    expect(scanning({ SECRET_SCANNING_KEYS_URL: "http://keys.example.com/keys" })).toContain("SECRET_SCANNING_KEYS_URL");
    expect(scanning({ LEAKED_KEY_ACTION: "ignore" })).toContain("LEAKED_KEY_ACTION");
  });

  it("names the bad field of an invalid route", () => {
    const result = buildConfig({
      GATEWAY_ROUTES: [
        { path: "/ok/*", upstream: "https://a.example" },
        { path: "v2", upstream: "ftp://x" },
      ],
    });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.detail).toContain("GATEWAY_ROUTES[1].path");
      expect(result.detail).toContain("GATEWAY_ROUTES[1].upstream");
    }
  });

  it("names an unknown route field and a missing upstream secret", () => {
    const result = buildConfig({
      GATEWAY_ROUTES: [{ path: "/a", upstream: "https://a.example", stripprefix: true, headers: { authorization: "Bearer ${NOPE}" } }],
    });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.detail).toContain('GATEWAY_ROUTES[0]: unknown field(s) "stripprefix"');
    const secret = buildConfig({
      GATEWAY_ROUTES: [{ path: "/a", upstream: "https://a.example", headers: { authorization: "Bearer ${NOPE}" } }],
    });
    expect(secret.ok === false && secret.detail).toBe("GATEWAY_ROUTES[0].headers.authorization: secret NOPE is not set");
  });

  it("answers every request with 503 gateway_misconfigured, naming the field only to an operator", async () => {
    const broken = gatewayEnv([{ path: "/a/*", upstream: env.UPSTREAM_URL, timeoutMs: -5 }]);
    const operator = { headers: { authorization: `Bearer ${env.ADMIN_TOKEN}` } };
    for (const path of ["/a/x", "/_gateway/health", "/_gateway/admin/keys"]) {
      const body = await expectProblem(await call(broken, path, operator), 503, "gateway_misconfigured");
      expect(body.detail).toContain("GATEWAY_ROUTES[0].timeoutMs");
    }
  });

  it("tells anyone else that the config is invalid, not which field or secret", async () => {
    const broken = gatewayEnv([
      { path: "/a/*", upstream: env.UPSTREAM_URL, headers: { authorization: "Bearer ${UPSTREAM_TOKEN_MISSING}" } },
    ]);
    const attempts: RequestInit[] = [
      {},
      { headers: { authorization: "Bearer not-the-admin-token" } },
      { headers: { "x-api-key": "gk_live_x" } },
    ];
    for (const init of attempts) {
      const body = await expectProblem(await call(broken, "/a/x", init), 503, "gateway_misconfigured");
      expect(JSON.stringify(body)).not.toContain("UPSTREAM_TOKEN_MISSING");
      expect(JSON.stringify(body)).not.toContain("GATEWAY_ROUTES");
    }
  });

  it("matches the longest prefix, exact paths first", async () => {
    const result = buildConfig({
      GATEWAY_ROUTES: [
        { path: "/*", upstream: "https://root.example" },
        { path: "/v1/*", upstream: "https://v1.example", stripPrefix: true },
        { path: "/v1/users/*", upstream: "https://users.example" },
        { path: "/v1/health", upstream: "https://health.example" },
      ],
    });
    if (!result.ok) throw new Error(result.detail);
    const match = (path: string) => {
      const m = result.config.router.match(path);
      return m && [m.route.upstream, m.forwardPath];
    };
    expect(match("/v1/users/7")).toEqual(["https://users.example", "/v1/users/7"]);
    expect(match("/v1/health")).toEqual(["https://health.example", "/v1/health"]);
    expect(match("/v1/other")).toEqual(["https://v1.example", "/other"]);
    expect(match("/v1")).toEqual(["https://v1.example", "/"]);
    expect(match("/v10")).toEqual(["https://root.example", "/v10"]);
  });

  it("names the bad field of a route's cors settings", () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ origins: ["https://app.example.com/path"] }, "GATEWAY_ROUTES[0].cors.origins[0]: must be an origin"],
      [{ origins: "*", credentials: true }, 'GATEWAY_ROUTES[0].cors.credentials: cannot be true with origins "*"'],
      [{ origins: "*", methods: ["FETCH"] }, "GATEWAY_ROUTES[0].cors.methods[0]"],
      [{ origins: "*", maxAge: -1 }, "GATEWAY_ROUTES[0].cors.maxAge"],
      [{ origins: "*", headers: ["bad header"] }, "GATEWAY_ROUTES[0].cors.headers[0]: not a header name"],
      [{ origins: "*", allowOrigin: "*" }, 'GATEWAY_ROUTES[0].cors: unknown field(s) "allowOrigin"'],
    ];
    for (const [cors, expected] of cases) {
      const result = buildConfig({ GATEWAY_ROUTES: [{ path: "/a/*", upstream: "https://a.example", cors }] });
      expect(result.ok === false && result.detail, JSON.stringify(cors)).toContain(expected);
    }
  });

  it("accepts every route field in docs/routes.md with its documented defaults", () => {
    const result = buildConfig({
      GATEWAY_ROUTES: [
        {
          path: "/v1/*",
          upstream: "https://api.example.com/base",
          stripPrefix: true,
          auth: "required",
          scopes: ["chat"],
          methods: ["get", "POST"],
          rateLimits: [{ name: "minute", limit: 60, window: 60 }],
          timeoutMs: 10_000,
          maxBodyBytes: 1_048_576,
          headers: { authorization: "Bearer ${UPSTREAM_TOKEN}" },
          onLimiterError: "open",
          cors: { origins: ["https://app.example.com"], credentials: true },
          serviceWorkers: true,
        },
        { path: "/minimal", upstream: "https://api.example.com" },
      ],
      UPSTREAM_TOKEN: "t0ken",
    });
    if (!result.ok) throw new Error(result.detail);
    const [full, minimal] = result.config.routes;
    expect(full).toMatchObject({ methods: ["GET", "POST"], upstreamHeaders: [["authorization", "Bearer t0ken"]] });
    expect(full!.corsPolicy).toMatchObject({ allowMethods: "GET, POST", maxAge: "600", credentials: true });
    expect(minimal).toMatchObject({
      stripPrefix: false,
      auth: "required",
      scopes: [],
      rateLimits: [],
      timeoutMs: 30_000,
      onLimiterError: "closed",
    });
    expect(minimal!.methods).toBeUndefined();
    expect(minimal!.maxBodyBytes).toBeUndefined();
    expect(minimal!.corsPolicy).toBeUndefined();
  });
});
