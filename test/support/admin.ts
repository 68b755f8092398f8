import { env } from "cloudflare:workers";
import { expect } from "vitest";
import type { KeyObject } from "../../src/admin/key-object";
import type { Env } from "../../src/env";
import { call } from "./gateway";

export { call, gatewayEnv as scenarioEnv } from "./gateway";

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

export async function json<T = any>(response: Response, status: number): Promise<T> {
  const text = await response.text();
  expect(response.status, text).toBe(status);
  return JSON.parse(text) as T;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  requestId: string;
}

/** The problem body of an error answer, checking its status, content type and code. */
export async function expectProblem(response: Response, status: number, code: string): Promise<Problem> {
  const text = await response.text();
  expect(response.status, text).toBe(status);
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  const body = JSON.parse(text) as Problem;
  expect(body.code).toBe(code);
  return body;
}

/** Calls a proxied path with a client key. */
export function withKey(target: Env, path: string, key: string, headers: Record<string, string> = {}): Promise<Response> {
  return call(target, path, { headers: { "x-api-key": key, ...headers } });
}
