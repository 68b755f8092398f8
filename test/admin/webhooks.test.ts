import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { webhookOutboxName } from "../../src/objects/names";
import { admin, createKey, localAdmin } from "../support/admin";
import { expectProblem, json } from "../support/gateway";

const hook = (body: Record<string, unknown> = {}) =>
  localAdmin(env, "POST", "/webhooks", { url: `${env.UPSTREAM_URL}/hooks`, events: ["key.revoked"], ...body });

describe("webhooks admin API", () => {
  it("creates a webhook and shows its signing secret once", async () => {
    const created = await json(await hook({ events: ["quota.threshold", "key.rotated"], thresholds: [100, 50] }), 201);
    expect(created).toMatchObject({ events: ["quota.threshold", "key.rotated"], thresholds: [50, 100], enabled: true });
    expect(created.id).toMatch(/^whk_/);
    expect(created.secret).toMatch(/^whsec_/);

    const fetched = await json(await admin(env, "GET", `/webhooks/${created.id}`), 200);
    expect(fetched).toEqual({ ...created, secret: undefined });
    expect(JSON.stringify(fetched)).not.toContain(created.secret);
    const listed = await json(await admin(env, "GET", "/webhooks?limit=100"), 200);
    expect(listed.items.map((w: { id: string }) => w.id)).toContain(created.id);
    expect(JSON.stringify(listed)).not.toContain("whsec_");
  });

  it("defaults quota thresholds to 80 and 100 percent", async () => {
    expect((await json(await hook(), 201)).thresholds).toEqual([80, 100]);
  });

  it("refuses plain http except to localhost (when the gateway runs locally), unknown events and bad thresholds, naming the field", async () => {
    expect((await expectProblem(await hook({ url: "http://hooks.example.com/x" }), 400, "invalid_request")).detail).toContain("url");
    expect((await expectProblem(await hook({ url: "https://user:pw@hooks.example.com/x" }), 400, "invalid_request")).detail).toContain(
      "url",
    );
    expect((await expectProblem(await hook({ events: ["key.eaten"] }), 400, "invalid_request")).detail).toContain("events");
    expect((await expectProblem(await hook({ events: [] }), 400, "invalid_request")).detail).toContain("events");
    expect((await expectProblem(await hook({ thresholds: [0] }), 400, "invalid_request")).detail).toContain("thresholds");
    expect((await expectProblem(await hook({ thresholds: [80, 80] }), 400, "invalid_request")).detail).toContain("thresholds");
    await json(await hook({ url: "http://localhost:9/x" }), 201);
    await json(await hook({ url: "https://hooks.example.com/gateway" }), 201);
  });

  it("updates and deletes a webhook; an unknown id is 404", async () => {
    const { id } = await json(await hook(), 201);
    const updated = await json(await admin(env, "PATCH", `/webhooks/${id}`, { enabled: false, events: ["key.expiring"] }), 200);
    expect(updated).toMatchObject({ enabled: false, events: ["key.expiring"] });
    await expectProblem(await admin(env, "PATCH", `/webhooks/${id}`, {}), 400, "invalid_request");
    expect((await admin(env, "DELETE", `/webhooks/${id}`)).status).toBe(204);
    await expectProblem(await admin(env, "GET", `/webhooks/${id}`), 404, "not_found");
    await expectProblem(await admin(env, "DELETE", `/webhooks/${id}`), 404, "not_found");
    await expectProblem(await admin(env, "GET", `/webhooks/${id}/deliveries`), 404, "not_found");
  });

  it("needs the admin token", async () => {
    const response = await admin({ ...env, ADMIN_TOKEN: "another-token-entirely-0123456789" } as typeof env, "GET", "/webhooks");
    expect(response.status).toBe(401);
  });

  it("records who created, changed and deleted a webhook in the audit log, never its secret", async () => {
    const created = await json(await hook(), 201);
    await json(await admin(env, "PATCH", `/webhooks/${created.id}`, { enabled: false }), 200);
    expect((await admin(env, "DELETE", `/webhooks/${created.id}`)).status).toBe(204);
    const audit = await json(await admin(env, "GET", "/audit?limit=100"), 200);
    const entries = (audit.items as { action: string; actor: string; changes: { webhookId?: string } }[]).filter(
      (e) => e.changes.webhookId === created.id,
    );
    expect(entries.map((e) => e.action).sort()).toEqual(["webhook.create", "webhook.delete", "webhook.update"]);
    expect(entries.every((e) => e.actor === "admin")).toBe(true);
    expect(JSON.stringify(audit)).not.toContain(created.secret);
  });
});

describe("rotating a webhook's signing secret", () => {
  /** A webhook on its own path of the loopback upstream, for key.revoked; a revocation makes one delivery, run now. */
  async function delivered(webhookId: string, path: string): Promise<{ headers: Record<string, string>; body: string }> {
    const key = await createKey(env, { name: "rotation" });
    expect((await admin(env, "DELETE", `/keys/${key.id}`)).status).toBe(204);
    // The outbox's alarm may already be running on its own; either run sends it, so wait for the receiver to have it.
    for (let tries = 0; tries < 50; tries++) {
      await runDurableObjectAlarm(env.WEBHOOK_OUTBOX.getByName(webhookOutboxName(webhookId)));
      const seen = await (await fetch(`${env.UPSTREAM_URL}/__last?path=${encodeURIComponent(path)}`)).json();
      if (seen) return seen as { headers: Record<string, string>; body: string };
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error("no delivery arrived");
  }

  it("answers a new secret once; deliveries carry the new and the old signature during the overlap", async () => {
    const path = `/hooks-rotate-${crypto.randomUUID()}`;
    const created = await json(await hook({ url: `${env.UPSTREAM_URL}${path}` }), 201);
    const rotated = await json(await admin(env, "POST", `/webhooks/${created.id}/rotate-secret`, {}), 201);
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(created.secret);
    expect(JSON.stringify(await json(await admin(env, "GET", `/webhooks/${created.id}`), 200))).not.toContain("whsec_");

    const { headers, body } = await delivered(created.id, path);
    expect(headers["webhook-signature"]!.split(" ")).toHaveLength(2);
    expect(() => new Webhook(rotated.secret).verify(body, headers)).not.toThrow();
    expect(() => new Webhook(created.secret).verify(body, headers)).not.toThrow();

    const audit = await json(await admin(env, "GET", "/audit?limit=5"), 200);
    const entry = audit.items.find((e: { action: string }) => e.action === "webhook.rotate_secret");
    expect(entry.changes).toMatchObject({ webhookId: created.id, overlapUntil: expect.any(String) });
    expect(JSON.stringify(audit)).not.toContain(rotated.secret);
  });

  it("stops signing with the old secret at once when the overlap is 0", async () => {
    const path = `/hooks-rotate-${crypto.randomUUID()}`;
    const created = await json(await hook({ url: `${env.UPSTREAM_URL}${path}` }), 201);
    const rotated = await json(await admin(env, "POST", `/webhooks/${created.id}/rotate-secret`, { overlapSeconds: 0 }), 201);
    const { headers, body } = await delivered(created.id, path);
    expect(headers["webhook-signature"]!.split(" ")).toHaveLength(1);
    expect(() => new Webhook(rotated.secret).verify(body, headers)).not.toThrow();
    expect(() => new Webhook(created.secret).verify(body, headers)).toThrow();
    await expectProblem(await admin(env, "POST", `/webhooks/${created.id}/rotate-secret`, { overlapSeconds: -1 }), 400, "invalid_request");
    await expectProblem(await admin(env, "POST", "/webhooks/whk_nope/rotate-secret", {}), 404, "not_found");
  });
});
