// GitHub secret-scanning reports into the built gateway: a P-256 key pair made here, its public key
// served on loopback in GitHub's format, reports signed with node:crypto as GitHub signs them.
import { generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalGateway } from "../../dev/local-gateway.ts";
import { startGateway } from "./support/gateway.ts";
import { startWebhookReceiver, type WebhookReceiver } from "./support/webhook-receiver.ts";

const ADMIN_TOKEN = "e2e-admin-token";

interface SigningKey {
  id: string;
  privateKey: KeyObject;
  pem: string;
}

function signingKey(id: string): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return { id, privateKey, pem: publicKey.export({ type: "spki", format: "pem" }).toString() };
}

/** GitHub's public-keys document on loopback: which keys it lists can change, and its reads are counted. */
async function startKeyServer() {
  let published: SigningKey[] = [];
  let reads = 0;
  const server = createServer((_request, response) => {
    reads++;
    const public_keys = published.map((key, index) => ({ key_identifier: key.id, key: key.pem, is_current: index === 0 }));
    response.writeHead(200, { "content-type": "application/json" });
    response.end(JSON.stringify({ public_keys }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/meta/public_keys/secret_scanning`,
    publish: (...keys: SigningKey[]) => {
      published = keys;
    },
    reads: () => reads,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let keyServer: Awaited<ReturnType<typeof startKeyServer>>;
let receiver: WebhookReceiver;
let revoking: LocalGateway;
let notifying: LocalGateway;
const first = signingKey("first-key-id");

beforeAll(async () => {
  keyServer = await startKeyServer();
  keyServer.publish(first);
  receiver = await startWebhookReceiver();
  const bindings = { ADMIN_TOKEN, GATEWAY_ROUTES: "[]", SECRET_SCANNING_KEYS_URL: keyServer.url };
  [revoking, notifying] = await Promise.all([
    startGateway({ bindings }),
    startGateway({ bindings: { ...bindings, LEAKED_KEY_ACTION: "notify" } }),
  ]);
  for (const gateway of [revoking, notifying]) {
    const created = await admin(gateway, "POST", "/webhooks", { url: receiver.url, events: ["key.leaked", "key.revoked"] });
    expect(created.status).toBe(201);
  }
}, 60_000);

afterAll(async () => {
  await Promise.all([revoking?.dispose(), notifying?.dispose()]);
  await receiver?.close();
  await keyServer?.close();
});

function admin(gateway: LocalGateway, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${gateway.url}/_gateway/admin${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body !== undefined && { "content-type": "application/json" }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
}

async function createKey(gateway: LocalGateway): Promise<{ id: string; key: string }> {
  const response = await admin(gateway, "POST", "/keys", { name: "leaky", owner: "acme" });
  expect(response.status).toBe(201);
  return (await response.json()) as { id: string; key: string };
}

function report(gateway: LocalGateway, body: string, by: SigningKey = first, signature?: string): Promise<Response> {
  return fetch(`${gateway.url}/_gateway/secret-scanning`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "github-public-key-identifier": by.id,
      "github-public-key-signature": signature ?? sign("sha256", Buffer.from(body), by.privateKey).toString("base64"),
    },
    body,
  });
}

const leak = (token: string, url = "https://github.com/octo/repo/blob/abc/config.js") => ({
  token,
  type: "edge_gateway_api_key",
  url,
  source: "content",
});

async function keyStatus(gateway: LocalGateway, key: string): Promise<number> {
  return (await fetch(`${gateway.url}/_gateway/me`, { headers: { "x-api-key": key } })).status;
}

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("POST /_gateway/secret-scanning", () => {
  it("labels a live key true_positive, revokes it, audits the report's URL and sends key.leaked", async () => {
    const live = await createKey(revoking);
    const revoked = await createKey(revoking);
    expect((await admin(revoking, "DELETE", `/keys/${revoked.id}`)).status).toBe(204);
    const body = JSON.stringify([leak(live.key), leak(revoked.key), leak("gk_live_not-a-key"), leak("ghp_somebody_elses")]);
    const response = await report(revoking, body);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual([
      { token_raw: live.key, token_type: "edge_gateway_api_key", label: "true_positive" },
      { token_raw: revoked.key, token_type: "edge_gateway_api_key", label: "false_positive" },
      { token_raw: "gk_live_not-a-key", token_type: "edge_gateway_api_key", label: "false_positive" },
      { token_raw: "ghp_somebody_elses", token_type: "edge_gateway_api_key", label: "false_positive" },
    ]);
    expect(await keyStatus(revoking, live.key)).toBe(401);
    const audit = (await (await admin(revoking, "GET", `/audit?keyId=${live.id}`)).json()) as { items: Record<string, unknown>[] };
    expect(audit.items).toContainEqual(
      expect.objectContaining({
        action: "key.revoke",
        actor: "secret-scanning",
        changes: expect.objectContaining({ url: "https://github.com/octo/repo/blob/abc/config.js", source: "content" }),
      }),
    );
    const leaked = await until("key.leaked", () =>
      receiver.attempts.find((a) => a.body.type === "key.leaked" && a.body.data.keyId === live.id),
    );
    expect(leaked.body.data).toMatchObject({ action: "revoke", url: "https://github.com/octo/repo/blob/abc/config.js", owner: "acme" });
    expect(JSON.stringify(leaked.body)).not.toContain(live.key);
  });

  it("with LEAKED_KEY_ACTION = notify labels and announces the key but leaves it working", async () => {
    const live = await createKey(notifying);
    const response = await report(notifying, JSON.stringify([leak(live.key)]));
    expect(await response.json()).toEqual([{ token_raw: live.key, token_type: "edge_gateway_api_key", label: "true_positive" }]);
    expect(await keyStatus(notifying, live.key)).toBe(200);
    const leaked = await until("key.leaked", () =>
      receiver.attempts.find((a) => a.body.type === "key.leaked" && a.body.data.keyId === live.id),
    );
    expect(leaked.body.data).toMatchObject({ action: "notify" });
  });

  it("counts imported keys", async () => {
    const imported = `sk_test_${"a1B2c3D4e5F6g7H8i9J0".repeat(2)}`;
    const response = await admin(revoking, "POST", "/keys/import", { prefix: "sk_test", keys: [{ key: imported, name: "imported" }] });
    expect(response.status, await response.clone().text()).toBeLessThan(300);
    expect(await keyStatus(revoking, imported)).toBe(200);
    const answer = await report(revoking, JSON.stringify([leak(imported)]));
    expect(await answer.json()).toEqual([{ token_raw: imported, token_type: "edge_gateway_api_key", label: "true_positive" }]);
    expect(await keyStatus(revoking, imported)).toBe(401);
  });

  it("answers 401 and changes nothing for a missing, wrong or foreign signature", async () => {
    const live = await createKey(revoking);
    const body = JSON.stringify([leak(live.key)]);
    const other = signingKey(first.id); // the right identifier, another key's signature
    for (const response of [
      await fetch(`${revoking.url}/_gateway/secret-scanning`, { method: "POST", headers: { "content-type": "application/json" }, body }),
      await report(revoking, body, first, "bm90IGEgc2lnbmF0dXJl"),
      await report(revoking, body, other),
      await report(revoking, `${body} `, first, sign("sha256", Buffer.from(body), first.privateKey).toString("base64")),
    ]) {
      expect(response.status).toBe(401);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
      expect(((await response.json()) as { code: string }).code).toBe("invalid_token");
    }
    expect(await keyStatus(revoking, live.key)).toBe(200);
  });

  it("reads the keys again, once, for an identifier it does not know", async () => {
    const live = await createKey(revoking);
    const rotated = signingKey("second-key-id");
    keyServer.publish(rotated, first);
    const readsBefore = keyServer.reads();
    const response = await report(revoking, JSON.stringify([leak(live.key)]), rotated);
    expect(response.status).toBe(200);
    expect(keyServer.reads()).toBe(readsBefore + 1);
    // Known now: no read for the next report.
    expect((await report(revoking, "[]", rotated)).status).toBe(200);
    expect(keyServer.reads()).toBe(readsBefore + 1);
    // Still unknown after one read: 401, with one read per report.
    const unknown = signingKey("nobody-publishes-this");
    expect((await report(revoking, "[]", unknown)).status).toBe(401);
    expect(keyServer.reads()).toBe(readsBefore + 2);
  });

  it("refuses bodies over 1 MiB (413), malformed JSON and too many tokens (400)", async () => {
    const huge = " ".repeat(1024 * 1024 + 1);
    expect((await report(revoking, huge)).status).toBe(413);
    for (const body of [
      "[{",
      '{"token":"x"}',
      JSON.stringify([{ token: 5 }]),
      JSON.stringify(Array.from({ length: 1001 }, () => leak("x"))),
    ]) {
      const response = await report(revoking, body);
      expect(response.status, body.slice(0, 40)).toBe(400);
      expect(((await response.json()) as { code: string }).code).toBe("invalid_request");
    }
  });
});
