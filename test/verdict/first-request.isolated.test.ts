import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import worker from "../../src/index";
import { keyObjectName } from "../../src/objects/names";
import { createKey } from "../support/admin";
import { countingObjects, gatewayEnv } from "../support/gateway";

// docs/rate-limits.md "Round trips per request": an isolate that has not read the import prefixes yet
// (a fresh module graph) forwards an own-format key's request after one object call, waiting for no
// D1 query: the prefixes are read in the background. Here their read is held until the request is answered.
let release: () => void = () => {};
const held = new Promise<void>((resolve) => {
  release = resolve;
});
let prefixReads = 0;

/** A statement whose reads wait for `held`. */
function heldStatement(statement: D1PreparedStatement): D1PreparedStatement {
  return new Proxy(statement, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (typeof value !== "function") return value;
      if (property === "bind") return (...values: unknown[]) => heldStatement(value.apply(target, values));
      if (property === "all" || property === "raw" || property === "first" || property === "run")
        return async (...args: unknown[]) => {
          prefixReads++;
          await held;
          return value.apply(target, args);
        };
      return value.bind(target);
    },
  });
}

const db = new Proxy(env.DB, {
  get(target, property) {
    if (property === "prepare")
      return (sql: string) => (sql.includes("import_prefixes") ? heldStatement(target.prepare(sql)) : target.prepare(sql));
    const value = Reflect.get(target, property, target);
    return typeof value === "function" ? value.bind(target) : value;
  },
});
const objects = countingObjects(env.KEY_LIMITER);
const gateway = gatewayEnv([{ path: "/api/*", upstream: env.UPSTREAM_URL }], { DB: db, KEY_LIMITER: objects.namespace });

it("an isolate's first request with a key of the new format is forwarded before the import prefixes are read", async () => {
  const created = await createKey(gateway);
  const called = objects.calls.length;
  // Answered while the prefixes' read is held: its background work (waitUntil) is awaited only after.
  const ctx = createExecutionContext();
  const response = await worker.fetch(new Request("https://gw.test/api/first", { headers: { "x-api-key": created.key } }), gateway, ctx);
  expect(response.status).toBe(200);
  await response.arrayBuffer();
  expect(objects.calls.slice(called).filter((call) => !call.endsWith(" renew"))).toEqual([`${keyObjectName(created.id)} resolve`]);
  expect(prefixReads).toBe(1); // started, in the background
  release();
  await waitOnExecutionContext(ctx);
});
