import { env } from "cloudflare:workers";
import type { IdentityObject } from "../../src/admin/identity-object";
import type { KeyObject } from "../../src/admin/key-object";
import type { Env } from "../../src/env";
import { call } from "./gateway";

/** An admin call with the right token; `body` is sent as JSON. */
export function admin(target: Env, method: string, path: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { authorization: `Bearer ${env.ADMIN_TOKEN}` };
  if (body !== undefined) headers["content-type"] = "application/json";
  return call(target, `/_gateway/admin${path}`, { method, headers, ...(body !== undefined && { body: JSON.stringify(body) }) });
}

export type KeyJson = KeyObject;

export type CreatedKeyJson = KeyJson & { key: string };

export async function createKey(target: Env, body: Record<string, unknown> = {}): Promise<CreatedKeyJson> {
  const response = await admin(target, "POST", "/keys", { name: "test key", ...body });
  if (response.status !== 201) throw new Error(`create key: ${response.status} ${await response.text()}`);
  return response.json();
}

export function revokeKey(target: Env, id: string): Promise<Response> {
  return admin(target, "DELETE", `/keys/${id}`);
}

export type IdentityJson = IdentityObject;

export async function createIdentity(target: Env, body: Record<string, unknown> = {}): Promise<IdentityJson> {
  const response = await admin(target, "POST", "/identities", { externalId: `customer_${crypto.randomUUID()}`, ...body });
  if (response.status !== 201) throw new Error(`create identity: ${response.status} ${await response.text()}`);
  return response.json();
}
