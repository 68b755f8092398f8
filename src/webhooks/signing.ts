// Webhook signing secrets (`whsec_…`) and the Standard Webhooks signature headers, with every secret a
// rotation still honours (docs/webhooks.md § Delivery).
import { Webhook } from "standardwebhooks";

const SECRET_PREFIX = "whsec_";
const SECRET_BYTES = 24;

/** A new signing secret in the Standard Webhooks form: `whsec_` and base64 of random bytes. */
export function newSigningSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(SECRET_BYTES));
  return SECRET_PREFIX + btoa(String.fromCharCode(...bytes));
}

/** The three Standard Webhooks headers for one delivery attempt of message `id`; several secrets give space-separated signatures (a rotation's overlap). */
export function signedHeaders(secrets: string | readonly string[], id: string, at: Date, body: string): Record<string, string> {
  const all = typeof secrets === "string" ? [secrets] : secrets;
  return {
    "webhook-id": id,
    "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
    "webhook-signature": all.map((secret) => new Webhook(secret).sign(id, at, body)).join(" "),
  };
}

/** The secrets that sign a delivery at `now`: the current one, and the one a rotation replaced while its overlap lasts. */
export function signingSecrets(
  webhook: { secret: string; previousSecret: string | null; previousSecretExpiresAt: number | null },
  now: number,
): string[] {
  const previous = webhook.previousSecret !== null && (webhook.previousSecretExpiresAt ?? 0) > now ? [webhook.previousSecret] : [];
  return [webhook.secret, ...previous];
}
