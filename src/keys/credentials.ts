// Where a request carries its API key: the configured sources (headers, optional query parameter) in order,
// and which of their values could be a key of this gateway (docs/configuration.md, `CREDENTIAL_SOURCES`).
import type { CredentialSource } from "../config/settings";
import type { CredentialLocation } from "../env";
import { couldBeForeignKey, hasImportShape } from "./foreign-format";
import { parseKey } from "./format";

export interface PresentedCredential {
  value: string;
  location: CredentialLocation;
}

/** Every configured source's value in the request, in configured order. */
export function* presentedCredentials(request: Request, sources: CredentialSource[]): Generator<PresentedCredential> {
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
 * Whether a header or query value carries a gateway key, under any scheme and among any other
 * words: the gateway's own shape, or an imported one of the prefixes given. Shape only, no lookup:
 * an unknown but well-formed key is a key too.
 */
export function holdsGatewayKey(value: string, importPrefixes: ReadonlySet<string>): boolean {
  if (value.split(/[^A-Za-z0-9_]+/).some((word) => parseKey(word) !== undefined)) return true;
  return importPrefixes.size > 0 && value.split(/[\s,]+/).some((word) => hasImportShape(word, importPrefixes));
}

/** Whether a value holds a word that could be an imported key (a foreign key's shape, not the gateway's own): only then do import prefixes matter to it. */
export function mayHoldImportedKey(value: string): boolean {
  return value.split(/[\s,]+/).some((word) => couldBeForeignKey(word) && parseKey(word) === undefined);
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
