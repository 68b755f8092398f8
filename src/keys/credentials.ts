import type { CredentialSource } from "../config/settings";
import type { CredentialLocation } from "../env";

export interface PresentedCredential {
  value: string;
  location: CredentialLocation;
}

/** The first credential found, trying the configured sources in order. */
export function findCredential(request: Request, sources: CredentialSource[]): PresentedCredential | undefined {
  const authorization = request.headers.get("authorization");
  let query: URLSearchParams | undefined; // parsed only if a query source is configured
  for (const source of sources) {
    switch (source.kind) {
      case "authorization": {
        if (!authorization) break;
        const space = authorization.indexOf(" ");
        if (space > 0 && authorization.slice(0, space).toLowerCase() === source.scheme) {
          return { value: authorization.slice(space + 1).trim(), location: { kind: "header", name: "authorization" } };
        }
        break;
      }
      case "header": {
        const value = request.headers.get(source.name);
        if (value !== null) return { value: value.trim(), location: { kind: "header", name: source.name } };
        break;
      }
      case "query": {
        query ??= new URL(request.url).searchParams;
        const value = query.get(source.name);
        if (value !== null) return { value, location: { kind: "query", name: source.name } };
        break;
      }
    }
  }
  return undefined;
}
