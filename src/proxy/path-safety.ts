// The first middleware on every request: normalises escapes and refuses paths that climb or alias another path, so the
// router, the checks and the upstream all see one path (docs/routes.md § Paths).
import { createMiddleware } from "hono/factory";
import { GatewayError } from "../errors";

/** `%41`-style escapes of RFC 3986 unreserved characters, which mean the same as the character itself. */
const ESCAPE = /%([0-9A-Fa-f]{2})/g;
const UNRESERVED = /^[A-Za-z0-9\-._~]$/;

/**
 * Decodes escaped unreserved characters and upper-cases every other escape (RFC 3986 §6.2.2),
 * so `/%70rivate` and `/private` are one path to the router, the checks and the upstream alike.
 */
function normaliseEscapes(rawPath: string): string {
  if (!rawPath.includes("%")) return rawPath;
  return rawPath.replace(ESCAPE, (match, hex: string) => {
    const char = String.fromCharCode(parseInt(hex, 16));
    return UNRESERVED.test(char) ? char : match.toUpperCase();
  });
}

/**
 * Why a path (escapes already normalised) could climb or alias another path, if it can.
 * Segments are split on `/` and `%2F` both, as an upstream that decodes `%2F` would see them;
 * `;params` are ignored as servlet containers do (`..;/`).
 */
function unsafeReason(path: string): string | undefined {
  if (/\\|%5C/i.test(path)) return "backslash in path";
  const segments = path.split(/\/|%2F/).slice(1);
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    if (segment === "" && i < segments.length - 1) return "empty path segment";
    const name = segment.split(";", 1)[0];
    if (name === "." || name === "..") return "dot segment";
  }
  return undefined;
}

/** The path exactly as the client sent it: `request.url` as the runtime received it, unparsed. */
export function rawPathOf(requestUrl: string): string {
  const afterScheme = requestUrl.indexOf("//") + 2;
  const pathStart = requestUrl.indexOf("/", afterScheme);
  if (pathStart === -1) return "/";
  const end = requestUrl.slice(pathStart).search(/[?#]/);
  return end === -1 ? requestUrl.slice(pathStart) : requestUrl.slice(pathStart, pathStart + end);
}

/** Overlong UTF-8 (a longer encoding of a character that has a shorter one, e.g. `%C0%AE` for `.`): escapes already upper-cased. */
const OVERLONG_UTF8 = /%C[01]|%E0%[89]|%F0%8/;

/** The request path after path safety: escapes of unreserved characters decoded, nothing else. */
export type PathVariables = { path: string };

export type PathCheck = { ok: true; path: string } | { ok: false; reason: string };

/**
 * The one path the gateway routes on and forwards, or why the request path is refused (docs/routes.md, "Paths").
 * Each further decoding of `%25` is checked too, as an upstream that decodes twice would read it.
 */
export function checkPath(rawPath: string): PathCheck {
  const path = normaliseEscapes(rawPath);
  let decoded = path;
  for (let level = 0; ; level++) {
    const reason = OVERLONG_UTF8.test(decoded) ? "overlong UTF-8 sequence" : unsafeReason(decoded);
    if (reason) return { ok: false, reason: level === 0 ? reason : `${reason} after decoding twice` };
    if (!decoded.includes("%25")) return { ok: true, path };
    decoded = normaliseEscapes(decoded.replaceAll("%25", "%"));
  }
}

/**
 * Refuses climbing or aliasing paths for every request, `/_gateway/` included, before config or
 * auth. workerd hands the worker the raw request target (miniflare's entry worker and Cloudflare's
 * zone URL normalisation may resolve `..` first); either way the checked path is the routed one.
 */
export function pathSafety() {
  // Not async, as every middleware on the request path that does nothing after `next()`: one promise less per request.
  return createMiddleware<{ Variables: PathVariables }>(function pathSafety(c, next) {
    const checked = checkPath(rawPathOf(c.req.url));
    if (!checked.ok) throw new GatewayError("invalid_request", `The request path is not allowed (${checked.reason}).`);
    c.set("path", checked.path);
    return next();
  });
}
