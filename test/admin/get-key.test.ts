import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { admin, createKey, type KeyJson } from "../support/admin";
import { expectProblem, gatewayEnv, json } from "../support/gateway";

const gateway = gatewayEnv([{ path: "/api/*", upstream: env.UPSTREAM_URL }]);

describe("GET /_gateway/admin/keys/:id", () => {
  it("answers the key object", async () => {
    const created = await createKey(gateway, { owner: "get-owner" });
    const key = await json<KeyJson>(await admin(gateway, "GET", `/keys/${created.id}`), 200);
    const { key: _plaintext, ...object } = created;
    expect(key).toEqual(object);
  });

  it("answers 404 not_found for an unknown id", async () => {
    await expectProblem(await admin(gateway, "GET", "/keys/key_doesnotexist"), 404, "not_found");
  });
});
