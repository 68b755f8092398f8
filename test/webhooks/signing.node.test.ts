import { describe, expect, it } from "vitest";
import { newSigningSecret, signedHeaders } from "../../src/webhooks/signing";

/** The Standard Webhooks signature, computed here with WebCrypto: base64 HMAC-SHA256 of `id.timestamp.body`. */
async function expectedSignature(secret: string, id: string, timestamp: string, body: string): Promise<string> {
  const raw = Uint8Array.from(atob(secret.slice("whsec_".length)), (c) => c.charCodeAt(0));
  const key = await crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`${id}.${timestamp}.${body}`));
  return `v1,${btoa(String.fromCharCode(...new Uint8Array(mac)))}`;
}

describe("webhook signing", () => {
  it("makes secrets in the whsec_ form with 24 random bytes, never the same twice", () => {
    const secret = newSigningSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(newSigningSecret()).not.toBe(secret);
  });

  it("signs id, timestamp and body as the Standard Webhooks spec says", async () => {
    const secret = newSigningSecret();
    const at = new Date("2027-03-01T12:00:00.750Z");
    const body = JSON.stringify({ type: "key.revoked", timestamp: at.toISOString(), data: { keyId: "key_x" } });
    const headers = signedHeaders(secret, "msg_abc", at, body);
    expect(headers["webhook-id"]).toBe("msg_abc");
    expect(headers["webhook-timestamp"]).toBe("1803902400");
    expect(headers["webhook-signature"]).toBe(await expectedSignature(secret, "msg_abc", "1803902400", body));
    expect(signedHeaders(secret, "msg_abc", at, `${body} `)["webhook-signature"]).not.toBe(headers["webhook-signature"]);
  });
});
