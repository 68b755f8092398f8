import type { z } from "zod";

/** `GATEWAY_ROUTES[2].headers.Authorization` or `rateLimits[0].window` from a zod issue path. */
function fieldName(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>(
    (name, part) => (typeof part === "number" ? `${name}[${part}]` : name ? `${name}.${String(part)}` : String(part)),
    "",
  );
}

/** Every problem of a validation, each naming its field: for config errors and 400 invalid_request alike. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const field = fieldName(issue.path);
      const message = issue.code === "unrecognized_keys" ? `unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(", ")}` : issue.message;
      return field ? `${field}: ${message}` : message;
    })
    .join("; ");
}
