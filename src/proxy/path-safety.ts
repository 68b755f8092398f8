/**
 * A path is unsafe if decoding could make it climb (`..`, `.`, in any percent-encoding, also
 * between encoded slashes) or if it has an empty segment. Checked on the raw request target,
 * before routing, so no spelling reaches another route or `/_gateway/`.
 */
export function unsafePathReason(rawPath: string): string | undefined {
  if (rawPath.includes("//")) return "empty path segment";
  // Segments as an upstream that decodes %2F would see them; only the last may be empty.
  const segments = rawPath.split(/\/|%2f/i).slice(1);
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    if (segment === "") {
      if (i < segments.length - 1) return "empty path segment";
      continue;
    }
    const decoded = segment.replace(/%2e/gi, ".");
    if (decoded === "." || decoded === "..") return "dot segment";
    if (/%5c|\\/i.test(segment)) return "backslash in path";
  }
  return undefined;
}

/** The path exactly as the client sent it (URL parsing in the runtime may already normalise it). */
export function rawPathOf(requestUrl: string): string {
  const afterScheme = requestUrl.indexOf("//") + 2;
  const pathStart = requestUrl.indexOf("/", afterScheme);
  if (pathStart === -1) return "/";
  const end = requestUrl.slice(pathStart).search(/[?#]/);
  return end === -1 ? requestUrl.slice(pathStart) : requestUrl.slice(pathStart, pathStart + end);
}
