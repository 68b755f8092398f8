import type { CredentialSource } from "../config/settings";
import type { CredentialLocation } from "../env";
import { parseKey } from "./format";

export interface PresentedCredential {
  value: string;
  location: CredentialLocation;
}

/**
 * The credential to authenticate with, trying the configured sources in order: the first that holds
 * a string of the key shape, else the first present at all (to be refused as malformed). So an
 * upstream's own token in `Authorization` does not shadow the key sent in `X-API-Key`.
 */
export function findCredential(request: Request, sources: CredentialSource[]): PresentedCredential | undefined {
  let first: PresentedCredential | undefined;
  for (const credential of presentedCredentials(request, sources)) {
    if (parseKey(credential.value)) return credential;
    first ??= credential;
  }
  return first;
}

/** Every configured source's value in the request, in configured order. */
function* presentedCredentials(request: Request, sources: CredentialSource[]): Generator<PresentedCredential> {
  const authorization = request.headers.get("authorization");
  let query: URLSearchParams | undefined; // parsed only if a query source is configured
  for (const source of sources) {
    switch (source.kind) {
      case "authorization": {
        if (!authorization) break;
        const space = authorization.indexOf(" ");
        if (space > 0 && authorization.slice(0, space).toLowerCase() === source.scheme) {
          yield { value: authorization.slice(space + 1).trim(), location: { kind: "header", name: "authorization" } };
        }
        break;
      }
      case "header": {
        const value = request.headers.get(source.name);
        if (value !== null) yield { value: value.trim(), location: { kind: "header", name: source.name } };
        break;
      }
      case "query": {
        query ??= new URL(request.url).searchParams;
        const value = query.get(source.name);
        if (value !== null) yield { value, location: { kind: "query", name: source.name } };
        break;
      }
    }
  }
}

/**
 * Whether a header or query value carries a string of the gateway key shape, under any scheme and
 * among any other words. Shape only, no lookup: an unknown but well-formed key is a key too.
 */
export function holdsGatewayKey(value: string): boolean {
  return value.split(/[^A-Za-z0-9_]+/).some((word) => parseKey(word) !== undefined);
}

/** The request headers the configured credential sources read. */
export function credentialHeaderNames(sources: CredentialSource[]): Set<string> {
  const names = new Set<string>();
  for (const source of sources) {
    if (source.kind === "authorization") names.add("authorization");
    else if (source.kind === "header") names.add(source.name);
  }
  return names;
}
