import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { admin, createKey, type KeyJson } from "../support/admin";
import { expectProblem, gatewayEnv, json, withKey } from "../support/gateway";

const gateway = gatewayEnv([{ path: "/api/*", upstream: env.UPSTREAM_URL }]);

describe("DELETE /_gateway/admin/keys/:id", () => {
  it("revokes the key, keeps its row, and is harmless to repeat", async () => {
    const created = await createKey(gateway);
    expect((await admin(gateway, "DELETE", `/keys/${created.id}`)).status).toBe(204);
    await expectProblem(await withKey(gateway, "/api/x", created.key), 401, "revoked_key");
    const key = await json<KeyJson>(await admin(gateway, "GET", `/keys/${created.id}`), 200);
    expect(key.revokedAt).not.toBeNull();
    expect((await admin(gateway, "DELETE", `/keys/${created.id}`)).status).toBe(204);
    expect((await json<KeyJson>(await admin(gateway, "GET", `/keys/${created.id}`), 200)).revokedAt).toBe(key.revokedAt);
  });

  it("answers 404 for an unknown id", async () => {
    await expectProblem(await admin(gateway, "DELETE", "/keys/key_nope"), 404, "not_found");
  });
});
