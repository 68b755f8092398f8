// Opaque page cursors for the admin lists: a position encoded as base64url JSON, refused with
// 400 invalid_request when it is not one this endpoint returned.
import type { z } from "@hono/zod-openapi";
import { GatewayError } from "../errors";

/** Opaque page cursors: callers pass them back unchanged, so the position format may change. */
export function encodeCursor(position: unknown): string {
  return btoa(JSON.stringify(position)).replaceAll("+", "-").replaceAll("/", "_").replaceAll("=", "");
}

function notACursor(): never {
  throw new GatewayError("invalid_request", "cursor: not a cursor this endpoint returned");
}

function parseCursor(cursor: string): unknown {
  try {
    return JSON.parse(atob(cursor.replaceAll("-", "+").replaceAll("_", "/")));
  } catch {
    return notACursor();
  }
}

export function decodeCursor<T extends "string" | "number">(cursor: string, kind: T): T extends "string" ? string : number {
  const value = parseCursor(cursor);
  if (typeof value === kind) return value as T extends "string" ? string : number;
  return notACursor();
}

/** A cursor whose position has the schema's shape. */
export function decodeCursorAs<T>(cursor: string, schema: z.ZodType<T>): T {
  const parsed = schema.safeParse(parseCursor(cursor));
  return parsed.success ? parsed.data : notACursor();
}
