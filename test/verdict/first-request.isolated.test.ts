import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import { keyObjectName } from "../../src/objects/names";
import { createKey } from "../support/admin";
import { countingD1, countingObjects, gatewayEnv, withKey } from "../support/gateway";

// docs/rate-limits.md "Round trips per request": an isolate that has not read the import prefixes yet
// (a fresh module graph) forwards an own-format key's request after one object call, no D1 query;
// it reads the prefixes in the background.
const d1 = countingD1(env.DB);
const objects = countingObjects(env.KEY_LIMITER);
const gateway = gatewayEnv([{ path: "/api/*", upstream: env.UPSTREAM_URL }], { DB: d1.db, KEY_LIMITER: objects.namespace });

it("an isolate's first request with a key of the new format waits for no D1 query", async () => {
  const created = await createKey(gateway);
  const queries = d1.queries();
  const called = objects.calls.length;
  const response = await withKey(gateway, "/api/first", created.key);
  const waitedFor = d1.queries() - queries;
  expect(response.status).toBe(200);
  await response.arrayBuffer();
  expect(objects.calls.slice(called).filter((call) => !call.endsWith(" renew"))).toEqual([`${keyObjectName(created.id)} resolve`]);
  // The prefixes' read starts in the background (waitUntil) while the request goes on: at most that one query.
  expect(waitedFor).toBeLessThanOrEqual(1);
});
