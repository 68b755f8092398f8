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

/** The real D1 binding, counting the statements prepared through it, but for the 401 counter's writes and those `ignore` names. */
export function countingD1(db: D1Database, ignore: (sql: string) => boolean = () => false): { db: D1Database; queries: () => number } {
  let queries = 0;
  const counted = new Proxy(db, {
    get(target, property) {
      if (property === "prepare") {
        return (sql: string) => {
          // The 401 counter's writes (src/usage/unauthorized.ts) are no key lookup.
          if (!sql.includes("unauthorized_rollups") && !ignore(sql)) queries++;
          return target.prepare(sql);
        };
      }
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { db: counted, queries: () => queries };
}

/**
 * A real Durable Object namespace, counting the calls made through its stubs: `calls` lists each as
 * `<object name> <method>` in order (stubs from `getByName` only, as the gateway makes them).
 */
export function countingObjects<T extends Rpc.DurableObjectBranded | undefined>(
  namespace: DurableObjectNamespace<T>,
): { namespace: DurableObjectNamespace<T>; calls: string[] } {
  const calls: string[] = [];
  const counted = new Proxy(namespace, {
    get(target, property) {
      if (property === "getByName") {
        return (name: string, ...rest: unknown[]) => {
          const stub = Reflect.apply(target.getByName, target, [name, ...rest]) as DurableObjectStub<T>;
          return new Proxy(stub, {
            get(inner, method) {
              const value = Reflect.get(inner, method);
              if (typeof method !== "string" || typeof value !== "function") return value;
              return (...args: unknown[]) => {
                calls.push(`${name} ${method}`);
                // An RPC method is called on its stub, never through `apply` (that would be a remote method too).
                return (inner as unknown as Record<string, (...a: unknown[]) => unknown>)[method]!(...args);
              };
            },
          });
        };
      }
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { namespace: counted, calls };
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

/** Calls a proxied path with a client key. */
export function withKey(target: Env, path: string, key: string, headers: Record<string, string> = {}): Promise<Response> {
  return call(target, path, { headers: { "x-api-key": key, ...headers } });
}

/** The JSON body of an answer, checking its status. */
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
