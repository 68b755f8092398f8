import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { keyObjectName } from "../../src/objects/names";
import { admin, createKey } from "../support/admin";
import { call, type Echo, expectProblem, gatewayEnv, json } from "../support/gateway";

const gateway = gatewayEnv([{ path: "/api/*", upstream: env.UPSTREAM_URL }]);

async function ownerSeenUpstream(key: string): Promise<string | undefined> {
  const seen = await json<Echo>(await call(gateway, "/api/x", { headers: { "x-api-key": key } }), 200);
  return seen.headers["x-gateway-key-owner"];
}

describe("key owners as headers", () => {
  it("percent-encodes (UTF-8) what is outside visible ASCII, so the upstream decodes the owner intact", async () => {
    const owner = "Zoë Café ✓ 100%";
    const { key } = await createKey(gateway, { owner });
    const seen = await ownerSeenUpstream(key);
    expect(seen).toBe("Zo%C3%AB%20Caf%C3%A9%20%E2%9C%93%20100%25");
    expect(decodeURIComponent(seen!)).toBe(owner);
  });

  it("passes a visible-ASCII owner unchanged", async () => {
    const { key } = await createKey(gateway, { owner: "acme-app_42" });
    expect(await ownerSeenUpstream(key)).toBe("acme-app_42");
  });

  it.each(["line\nbreak", "carriage\rreturn", "nul\u0000", "tab\tbed", "del\u007f"])(
    "refuses an owner with control characters at write (%j), naming the field",
    async (owner) => {
      const created = await expectProblem(await admin(gateway, "POST", "/keys", { name: "ctl", owner }), 400, "invalid_request");
      expect(created.detail).toContain("owner");
      const { id } = await createKey(gateway, { owner: "fine" });
      const updated = await expectProblem(await admin(gateway, "PATCH", `/keys/${id}`, { owner }), 400, "invalid_request");
      expect(updated.detail).toContain("owner");
    },
  );

  it("never answers 500 for an owner stored before the check: it travels encoded", async () => {
    const { id, key } = await createKey(gateway, { owner: "placeholder" });
    await env.DB.prepare("update keys set owner = ? where id = ?").bind("old\r\nrow", id).run();
    // A key stored then was made before its object was handed its record: the object reads D1.
    await runInDurableObject(env.KEY_LIMITER.getByName(keyObjectName(id)), (_, state) => state.storage.sql.exec("DELETE FROM key_records"));
    expect(await ownerSeenUpstream(key)).toBe("old%0D%0Arow");
  });
});
