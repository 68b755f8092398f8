import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import worker from "../../src/index";
import type { Env } from "../../src/env";

/** An env for one scenario (config is memoised per env object): its own routes over the test bindings. */
export function scenarioEnv(routes: Record<string, unknown>[] = [], overrides: Partial<Env> = {}): Env {
  return { ...env, GATEWAY_ROUTES: JSON.stringify(routes), ...overrides } as Env;
}

/** One request into the worker, as the runtime would dispatch it. */
export async function call(target: Env, path: string, init: RequestInit = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await worker.fetch(new Request(`https://gw.test${path}`, init), target, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

/** An admin call with the right token; `body` is sent as JSON. */
export function admin(target: Env, method: string, path: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { authorization: `Bearer ${env.ADMIN_TOKEN}` };
  if (body !== undefined) headers["content-type"] = "application/json";
  return call(target, `/_gateway/admin${path}`, { method, headers, ...(body !== undefined && { body: JSON.stringify(body) }) });
}

export interface KeyJson {
  id: string;
  name: string;
  owner: string | null;
  start: string;
  scopes: string[];
  rateLimits: { name: string; limit: number; window: number }[];
  quota: { limit: number; period: string } | null;
  ipAllowlist: string[];
  metadata: Record<string, unknown>;
  enabled: boolean;
  expiresAt: string | null;
  createdAt: string;
  updatedAt: string;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

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
