// The admin lists' page cursors: opaque to callers, so the position inside may change; a forged one is 400 invalid_request.
import { GatewayError } from "../errors";

/** Opaque page cursors: callers pass them back unchanged, so the position format may change. */
export function encodeCursor(position: string | number): string {
  return btoa(JSON.stringify(position)).replaceAll("+", "-").replaceAll("/", "_").replaceAll("=", "");
}

export function decodeCursor<T extends "string" | "number">(cursor: string, kind: T): T extends "string" ? string : number {
  try {
    const value: unknown = JSON.parse(atob(cursor.replaceAll("-", "+").replaceAll("_", "/")));
    if (typeof value === kind) return value as T extends "string" ? string : number;
  } catch {
    // fall through to the error below
  }
  throw new GatewayError("invalid_request", "cursor: not a cursor this endpoint returned");
}
