import { Webhook } from "standardwebhooks";

const SECRET_PREFIX = "whsec_";
const SECRET_BYTES = 24;

/** A new signing secret in the Standard Webhooks form: `whsec_` and base64 of random bytes. */
export function newSigningSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(SECRET_BYTES));
  return SECRET_PREFIX + btoa(String.fromCharCode(...bytes));
}

/** The three Standard Webhooks headers for one delivery attempt of message `id`. */
export function signedHeaders(secret: string, id: string, at: Date, body: string): Record<string, string> {
  return {
    "webhook-id": id,
    "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
    "webhook-signature": new Webhook(secret).sign(id, at, body),
  };
}
