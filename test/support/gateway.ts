import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import type { RouteInput } from "../../src/config/schema";
import type { Env } from "../../src/env";
import worker from "../../src/index";

/** An env for one scenario: its own routes and bindings over the test bindings. Config is memoised per env object. */
export function gatewayEnv(routes: RouteInput[], overrides: Partial<Env> = {}): Env {
  return { ...env, GATEWAY_ROUTES: JSON.stringify(routes), ...overrides } as Env;
}

/** One request into the worker, exactly as the runtime would dispatch it. */
export async function call(target: Env, path: string, init: RequestInit = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await worker.fetch(new Request(`https://gw.test${path}`, init), target, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

export interface CreatedKey {
  key: string;
  id: string;
  [field: string]: unknown;
}

export async function createKey(target: Env, body: Record<string, unknown> = {}): Promise<CreatedKey> {
  const response = await call(target, "/_gateway/admin/keys", {
    method: "POST",
    headers: { authorization: `Bearer ${env.ADMIN_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({ name: "test key", ...body }),
  });
  if (response.status !== 201) throw new Error(`create key: ${response.status} ${await response.text()}`);
  return response.json();
}

export async function revokeKey(target: Env, id: string): Promise<Response> {
  return call(target, `/_gateway/admin/keys/${id}`, { method: "DELETE", headers: { authorization: `Bearer ${env.ADMIN_TOKEN}` } });
}

/** The real D1 binding, counting the statements prepared through it. */
export function countingD1(db: D1Database): { db: D1Database; queries: () => number } {
  let queries = 0;
  const counted = new Proxy(db, {
    get(target, property) {
      if (property === "prepare") {
        return (sql: string) => {
          queries++;
          return target.prepare(sql);
        };
      }
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { db: counted, queries: () => queries };
}

/** Analytics Engine has no local read-back: this dataset keeps what is written to it. */
export function recordingDataset(): { dataset: AnalyticsEngineDataset; points: AnalyticsEngineDataPoint[] } {
  const points: AnalyticsEngineDataPoint[] = [];
  return { dataset: { writeDataPoint: (point?: AnalyticsEngineDataPoint) => void points.push(point ?? {}) }, points };
}

export interface Echo {
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  headers: Record<string, string | undefined>;
  body: string;
}

export async function problem(
  response: Response,
): Promise<{ code: string; status: number; detail: string; requestId: string; type: string; title: string }> {
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  return response.json();
}
