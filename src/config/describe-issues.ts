// Turns a zod validation error into one line naming every bad field, for config errors and 400 invalid_request alike;
// a field name that looks like a secret is cut short rather than echoed.
import type { z } from "zod";

/**
 * A field name as an error may repeat it: a name that could be a secret (16+ characters with a digit,
 * or over 32) shows its first 4 characters only, since a key pasted where a field name goes would
 * otherwise be echoed back, and logged, in plaintext.
 */
function shownName(name: string): string {
  const secretLike = name.length > 32 || (name.length >= 16 && /\d/.test(name));
  return secretLike ? `${name.slice(0, 4)}…(${name.length} characters, not repeated)` : name;
}

/** `GATEWAY_ROUTES[2].headers.Authorization` or `rateLimits[0].window` from a zod issue path. */
function fieldName(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>(
    (name, part) => (typeof part === "number" ? `${name}[${part}]` : name ? `${name}.${shownName(String(part))}` : shownName(String(part))),
    "",
  );
}

/** Every problem of a validation, each naming its field: for config errors and 400 invalid_request alike. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const field = fieldName(issue.path);
      const message =
        issue.code === "unrecognized_keys" ? `unknown field(s) ${issue.keys.map((k) => `"${shownName(k)}"`).join(", ")}` : issue.message;
      return field ? `${field}: ${message}` : message;
    })
    .join("; ");
}
