import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createKey } from "../support/admin";
import { call, type Echo, gatewayEnv, json } from "../support/gateway";

// A prefix registered by an import in another isolate: this one has never read the registry.
const PREFIX = "pk_elsewhere";
await env.DB.prepare("insert or ignore into import_prefixes (prefix, created_at) values (?, 0)").bind(PREFIX).run();

const gateway = gatewayEnv([
  { path: "/api/*", upstream: env.UPSTREAM_URL },
  { path: "/open/*", upstream: env.UPSTREAM_URL, auth: "none" },
]);

const importedKey = () => `${PREFIX}_${crypto.randomUUID().replaceAll("-", "")}`;

describe("imported keys never reach the upstream, even from an isolate that has not loaded the import prefixes", () => {
  it("removes an imported key on a route without auth, on the isolate's first proxied request", async () => {
    const seen = await json<Echo>(await call(gateway, "/open/x", { headers: { "x-api-key": importedKey() } }), 200);
    expect(seen.headers["x-api-key"]).toBeUndefined();
  });

  it("removes an imported key riding beside the gateway key that authenticated", async () => {
    const { key } = await createKey(gateway);
    const seen = await json<Echo>(
      await call(gateway, "/api/x", { headers: { "x-api-key": key, authorization: `Bearer ${importedKey()}` } }),
      200,
    );
    expect(seen.headers["x-api-key"]).toBeUndefined();
    expect(seen.headers.authorization).toBeUndefined();
  });

  it("still forwards an upstream's own token that has no registered import shape", async () => {
    const { key } = await createKey(gateway);
    const seen = await json<Echo>(
      await call(gateway, "/api/x", { headers: { "x-api-key": key, authorization: "Bearer upstream_token_0123456789abcdef" } }),
      200,
    );
    expect(seen.headers.authorization).toBe("Bearer upstream_token_0123456789abcdef");
  });
});
