import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { generateKey } from "../../src/keys/format";
import { admin, createKey } from "../support/admin";
import { call, type Echo, gatewayEnv, json } from "../support/gateway";

const gateway = gatewayEnv(
  [
    { path: "/api/*", upstream: env.UPSTREAM_URL },
    { path: "/open/*", upstream: env.UPSTREAM_URL, auth: "none" },
  ],
  { CREDENTIAL_SOURCES: JSON.stringify(["authorization:api-key", "authorization:bearer", "header:x-api-key", "query:api_key"]) },
);

/** Where a client can put a key, and how it puts it there. */
const LOCATIONS = {
  "Authorization: api-key": (key: string) => ({ headers: { authorization: `api-key ${key}` } }),
  "Authorization: Bearer": (key: string) => ({ headers: { authorization: `Bearer ${key}` } }),
  "X-API-Key": (key: string) => ({ headers: { "x-api-key": key } }),
  "?api_key=": (key: string) => ({ query: `api_key=${key}` }),
} as const;
type Location = keyof typeof LOCATIONS;
const NAMES = Object.keys(LOCATIONS) as Location[];

interface Placement {
  headers?: Record<string, string>;
  query?: string;
}

/** Sends the request with each key at its location and answers what the upstream saw. */
async function forwarded(path: string, placements: Placement[], extraHeaders: Record<string, string> = {}): Promise<Echo> {
  const headers = Object.assign({ ...extraHeaders }, ...placements.map((p) => p.headers ?? {}));
  const query = ["keep=1", ...placements.flatMap((p) => (p.query ? [p.query] : []))].join("&");
  const response = await call(gateway, `${path}?${query}`, { headers });
  expect(response.status, await response.clone().text()).toBe(200);
  return response.json();
}

/** No credential location reached the upstream holding a key; the rest of the query did. */
function expectNoKeyForwarded(seen: Echo) {
  expect(seen.headers.authorization).toBeUndefined();
  expect(seen.headers["x-api-key"]).toBeUndefined();
  expect(seen.query.api_key).toBeUndefined();
  expect(seen.query.keep).toBe("1");
}

let key: string;
let otherKey: string;
beforeAll(async () => {
  key = (await createKey(gateway)).key;
  otherKey = (await createKey(gateway)).key;
});

// Every pairing of two locations that can coexist (the two Authorization schemes share one field).
const PAIRS = NAMES.flatMap((first) => NAMES.map((second) => [first, second] as const)).filter(
  ([first, second]) => first !== second && !(first.startsWith("Authorization") && second.startsWith("Authorization")),
);

describe("no gateway key reaches the upstream", () => {
  it.each(PAIRS)("strips the key sent in %s and again in %s", async (first, second) => {
    expectNoKeyForwarded(await forwarded("/api/x", [LOCATIONS[first](key), LOCATIONS[second](key)]));
  });

  it.each(PAIRS)("strips two different known keys sent in %s and %s", async (first, second) => {
    expectNoKeyForwarded(await forwarded("/api/x", [LOCATIONS[first](key), LOCATIONS[second](otherKey)]));
  });

  it("strips a well-formed key the gateway does not know, beside the authenticating one", async () => {
    const unknown = generateKey("gk_other");
    expectNoKeyForwarded(await forwarded("/api/x", [LOCATIONS["Authorization: Bearer"](key), LOCATIONS["X-API-Key"](unknown)]));
    expectNoKeyForwarded(await forwarded("/api/x", [LOCATIONS["X-API-Key"](key), LOCATIONS["?api_key="](unknown)]));
  });

  it.each(NAMES)("strips a key in %s on a route without auth", async (location) => {
    expectNoKeyForwarded(await forwarded("/open/x", [LOCATIONS[location](key)]));
  });

  it("strips a field whose value lists a key among other values", async () => {
    const seen = await forwarded("/open/x", [{ headers: { "x-api-key": `not-a-key, ${key}` }, query: `api_key=x&api_key=${key}` }]);
    expectNoKeyForwarded(seen);
  });

  it("passes the upstream's own token in Authorization when the key came in X-API-Key", async () => {
    const seen = await forwarded("/api/x", [LOCATIONS["X-API-Key"](key)], { authorization: "Bearer upstream-own-token" });
    expect(seen.headers.authorization).toBe("Bearer upstream-own-token");
    expect(seen.headers["x-api-key"]).toBeUndefined();
  });

  it("passes a credential-named query parameter that holds no key, in the client's encoding", async () => {
    const seen = await forwarded("/api/x", [LOCATIONS["X-API-Key"](key), { query: "api_key=page%202" }]);
    expect(seen.query.api_key).toBe("page 2");
  });

  it("strips Proxy-Authorization", async () => {
    const seen = await forwarded("/open/x", [], { "proxy-authorization": "Basic dXNlcjpwYXNz" });
    expect(seen.headers["proxy-authorization"]).toBeUndefined();
  });
});

describe("no imported key reaches the upstream", () => {
  let imported: string;
  beforeAll(async () => {
    imported = `sk_strip_${crypto.randomUUID().replaceAll("-", "")}`;
    const body = { prefix: "sk_strip", keys: [{ key: imported, name: "imported" }] };
    expect((await json<{ imported: unknown[] }>(await admin(gateway, "POST", "/keys/import", body), 200)).imported).toHaveLength(1);
  });

  it.each(PAIRS)("strips an imported key sent in %s and again in %s", async (first, second) => {
    expectNoKeyForwarded(await forwarded("/api/x", [LOCATIONS[first](imported), LOCATIONS[second](imported)]));
  });

  it("authenticates an imported key in X-API-Key beside the upstream's own token in Authorization, which passes", async () => {
    const seen = await forwarded("/api/x", [LOCATIONS["X-API-Key"](imported)], { authorization: "Bearer upstream-own-token" });
    expect(seen.headers.authorization).toBe("Bearer upstream-own-token");
    expect(seen.headers["x-api-key"]).toBeUndefined();
  });
});
