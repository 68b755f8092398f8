// OpenAPI pieces every /_gateway route shares: the problem+json schema, the error responses of admin calls and calls with
// a body, and the client-key security schemes.
import { z } from "@hono/zod-openapi";
import { ERRORS } from "../errors";

export const ProblemSchema = z
  .object({
    type: z.string().openapi({ example: "/_gateway/docs#error-invalid_request" }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.enum(Object.keys(ERRORS) as [keyof typeof ERRORS, ...(keyof typeof ERRORS)[]]),
    requestId: z.string(),
  })
  .openapi("Problem");

/** A problem+json response with its meaning, for any route's `responses`. */
export const problem = (description: string) => ({
  description,
  content: { "application/problem+json": { schema: ProblemSchema } },
});

/** Error responses every admin route can give. */
export const adminErrors = {
  400: problem("Invalid request: `detail` names each bad field."),
  401: problem("Missing or wrong admin or operator token (`invalid_token`)."),
  403: problem("The operator token lacks the scope this call requires (`insufficient_scope`)."),
  429: problem("Too many wrong admin tokens from this address: it must wait `Retry-After` seconds (`rate_limited`)."),
  503: problem("Gateway misconfigured (no ADMIN_TOKEN) or the key's Durable Object unreachable."),
} as const;

/** The error only a call with a body can give. */
export const bodyErrors = {
  413: problem("The body is larger than the cap: 64 KiB, 8 MiB for an import (`payload_too_large`)."),
  415: problem("The body was sent without `Content-Type: application/json` (`unsupported_media_type`)."),
} as const;

export const notFoundError = { 404: problem("No key with that id.") } as const;

/** Client keys in any accepted place (docs/keys.md); OpenAPI has no scheme for `Authorization: api-key`. */
export const clientSecurity: Record<string, string[]>[] = [{ apiKeyHeader: [] }, { apiKeyBearer: [] }];
