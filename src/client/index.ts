/**
 * A typed client for services that verify keys with the gateway instead of sitting behind it
 * (docs/verify.md). Its types come from the zod schemas the OpenAPI document is generated from,
 * so they cannot drift from `/_gateway/openapi.json`; only types are imported, no runtime code.
 */
import type { ErrorCode } from "../errors";
import type { VerifyRequest, VerifyResult } from "../gateway/verify";

export type { VerifyRequest, VerifyResult };

export interface GatewayClientOptions {
  /** The gateway's origin, e.g. `https://api.example.com`. */
  baseUrl: string;
  /** An operator token with the `keys:verify` scope (or ADMIN_TOKEN). */
  token: string;
  /** Defaults to the global `fetch`; a service binding's `fetch` works too. */
  fetch?: (request: Request) => Promise<Response>;
}

/** The gateway's problem+json answer to a call it refused (bad token, bad body, limiter unavailable…). */
export class GatewayClientError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode | undefined,
    detail: string,
  ) {
    super(detail);
    this.name = "GatewayClientError";
  }
}

export interface GatewayClient {
  /** `POST /_gateway/verify`: 200 with a verdict for any well-formed body; anything else throws `GatewayClientError`. */
  verify(request: VerifyRequest): Promise<VerifyResult>;
}

export function gatewayClient(options: GatewayClientOptions): GatewayClient {
  const send = options.fetch ?? ((request: Request) => fetch(request));
  const url = new URL("/_gateway/verify", options.baseUrl);
  return {
    async verify(request) {
      const response = await send(
        new Request(url, {
          method: "POST",
          headers: { authorization: `Bearer ${options.token}`, "content-type": "application/json" },
          body: JSON.stringify(request),
        }),
      );
      if (response.status === 200) return (await response.json()) as VerifyResult;
      const problem = (await response.json().catch(() => ({}))) as { code?: ErrorCode; detail?: string };
      throw new GatewayClientError(response.status, problem.code, problem.detail ?? `The gateway answered ${response.status}.`);
    },
  };
}
