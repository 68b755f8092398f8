import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import type { IdentityObject } from "../../src/admin/identity-object";
import type { KeyObject } from "../../src/admin/key-object";
import type { Env } from "../../src/env";
import worker from "../../src/index";
import { call } from "./gateway";

/** An admin call with the right token; `body` is sent as JSON. */
export function admin(target: Env, method: string, path: string, body?: unknown): Promise<Response> {
  return call(target, `/_gateway/admin${path}`, adminInit(method, body));
}

function adminInit(method: string, body?: unknown): RequestInit {
  const headers: Record<string, string> = { authorization: `Bearer ${env.ADMIN_TOKEN}` };
  if (body !== undefined) headers["content-type"] = "application/json";
  return { method, headers, ...(body !== undefined && { body: JSON.stringify(body) }) };
}

/** An admin call to the gateway as `npm run dev` serves it, on a loopback host: webhooks may then target loopback receivers. */
export async function localAdmin(target: Env, method: string, path: string, body?: unknown): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await worker.fetch(new Request(`http://localhost:8787/_gateway/admin${path}`, adminInit(method, body)), target, ctx);
  await waitOnExecutionContext(ctx);
  return response;
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
