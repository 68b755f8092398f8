// The portal API's shared OpenAPI pieces: its security scheme and the errors every route can give.
import { problem } from "../../gateway/schemas";

/** The session cookie the portal's sign-in sets (docs/portal.md). */
export const portalSecurity: Record<string, string[]>[] = [{ portalSession: [] }];

/** Paths as mounted: the portal's own app serves them under /_gateway/portal/api. */
export const PORTAL_API_PREFIX = "/portal/api";

export const portalErrors = {
  400: problem("Invalid request: `detail` names each bad field."),
  401: problem("No or expired portal session (`session_required`)."),
  403: problem("A write without a same-origin `Origin` (`cross_site_request`)."),
  503: problem("The key's Durable Object could not be reached; retry."),
} as const;

export const portalNotFound = { 404: problem("No key of yours has that id.") } as const;
