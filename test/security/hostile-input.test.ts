import { env } from "cloudflare:workers";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { createKey } from "../support/admin";
import { call, countingD1, type Echo, gatewayEnv } from "../support/gateway";
import { propertyRuns } from "../support/properties";

const counted = countingD1(env.DB);
const gateway = gatewayEnv(
  [
    { path: "/api/*", upstream: env.UPSTREAM_URL, stripPrefix: true },
    { path: "/open/*", upstream: env.UPSTREAM_URL, auth: "none" },
  ],
  // A short lease TTL: each call waits for its background work, and a key's lease report comes one TTL after the grant.
  { DB: counted.db, LEASE_TTL_MS: "100" },
);

let key: string;
beforeAll(async () => {
  ({ key } = await createKey(gateway));
});

/** Header-safe text: visible ASCII and space (the runtime re-encodes anything else as UTF-8). */
const headerValue = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 300 });
const pathSegment = fc.oneof(
  fc.constantFrom(
    "..",
    ".",
    "%2e%2e",
    ".%2e",
    "%2E.",
    "%2f",
    "%2F..%2F",
    "%00",
    "%ff",
    "%",
    "%zz",
    "_gateway",
    "admin",
    "~",
    "a b",
    "%5c",
    "\\",
  ),
  fc.string({ unit: "grapheme-ascii", maxLength: 12 }).map(encodeURIComponent),
  fc.string({ maxLength: 8 }),
);

/** Never a 500; a gateway-made error is problem+json (an upstream's own 4xx passes through as it is). */
async function expectContractAnswer(response: Response): Promise<void> {
  expect(response.status).not.toBe(500);
  expect(response.status).toBeLessThan(502);
  if (response.headers.get("content-type") === "application/problem+json") {
    const body = (await response.json()) as { code: string; status: number };
    expect(body.status).toBe(response.status);
  } else {
    expect(response.headers.get("x-request-id")).toBeTruthy();
    await response.body?.cancel();
  }
}

describe("hostile input", () => {
  it("answers any credential with a contract error and never looks a malformed one up", async () => {
    await fc.assert(
      fc.asyncProperty(headerValue, fc.constantFrom("x-api-key", "authorization"), async (value, header) => {
        const before = counted.queries();
        const headerText = header === "authorization" ? `Bearer ${value}` : value;
        const response = await call(gateway, "/api/x", { headers: { [header]: headerText } });
        expect([401]).toContain(response.status);
        await expectContractAnswer(response);
        expect(counted.queries()).toBe(before);
      }),
      propertyRuns(150),
    );
  });

  it("answers any path with a contract answer and never forwards a climbing path", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(pathSegment, { minLength: 1, maxLength: 6 }),
        fc.constantFrom("/api/", "/open/", "/"),
        async (segments, base) => {
          let response: Response;
          try {
            response = await call(gateway, base + segments.join("/"), { headers: { "x-api-key": key } });
          } catch {
            return; // not a URL a client could send
          }
          if (response.status === 200) {
            const echo = (await response.json()) as Echo;
            expect(echo.path.split(/\/|%2f/i)).not.toContain("..");
            expect(echo.path).not.toMatch(/%2e%2e/i);
            return;
          }
          await expectContractAnswer(response);
        },
      ),
      propertyRuns(150),
    );
  });

  it("passes any query string through without a 500", async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 200 }), async (query) => {
        const response = await call(gateway, `/open/q?${encodeURI(query).replace(/#/g, "%23")}`);
        await expectContractAnswer(response);
      }),
      propertyRuns(100),
    );
  });

  it("passes any header value through without a 500", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("x-custom", "connection", "x-forwarded-for", "te", "x-gateway-key-id", "content-type", "cookie"),
        headerValue,
        async (name, value) => {
          let response: Response;
          try {
            response = await call(gateway, "/api/h", { headers: { "x-api-key": key, [name]: value } });
          } catch {
            return; // a value the runtime itself refuses to build a request with
          }
          await expectContractAnswer(response);
        },
      ),
      propertyRuns(150),
    );
  });

  it("answers any admin body with 201 or 400 invalid_request, never a 500", async () => {
    const body = fc.oneof(
      fc.json({ maxDepth: 3 }),
      fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify({ name: "x", metadata: v })),
      fc
        .record({
          name: fc.oneof(fc.string({ maxLength: 300 }), fc.integer(), fc.constant(null)),
          rateLimits: fc.anything({ maxDepth: 2 }),
        })
        .map((v) => JSON.stringify(v)),
      fc.string({ maxLength: 200 }).map((s) => `{"name": "${s}"`),
      fc.uint8Array({ maxLength: 200 }),
      fc.constantFrom(
        "",
        "null",
        "[]",
        '{"name":"x","prefix":"UPPER"}',
        '{"name":"x","expiresAt":"yesterday"}',
        `{"name":"${"x".repeat(100_000)}"}`,
        '{"name":"x","name":"y"}',
        '{"name":"\'; DROP TABLE keys; --"}',
      ),
    );
    await fc.assert(
      fc.asyncProperty(body, async (payload) => {
        const response = await call(gateway, "/_gateway/admin/keys", {
          method: "POST",
          headers: { authorization: `Bearer ${env.ADMIN_TOKEN}`, "content-type": "application/json" },
          body: payload,
        });
        expect([201, 400]).toContain(response.status);
        if (response.status === 400) {
          const problem = (await response.json()) as { code: string };
          expect(problem.code).toBe("invalid_request");
        } else {
          await response.body?.cancel();
        }
      }),
      propertyRuns(150),
    );
  });

  it("answers any verify body with 200 or 400 invalid_request, and never looks a malformed key up", async () => {
    const body = fc.oneof(
      fc.record({ key: headerValue }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
      fc
        .record(
          {
            key: fc.oneof(headerValue, fc.anything({ maxDepth: 1 })),
            cost: fc.anything({ maxDepth: 1 }),
            scopes: fc.anything({ maxDepth: 2 }),
            dryRun: fc.anything({ maxDepth: 1 }),
            route: fc.anything({ maxDepth: 1 }),
            ip: fc.oneof(headerValue, fc.anything({ maxDepth: 1 })),
          },
          { requiredKeys: [] },
        )
        .map((v) => JSON.stringify(v)),
      fc.json({ maxDepth: 3 }),
      fc.string({ maxLength: 200 }),
    );
    await fc.assert(
      fc.asyncProperty(body, async (payload) => {
        const before = counted.queries();
        const response = await call(gateway, "/_gateway/verify", {
          method: "POST",
          headers: { authorization: `Bearer ${env.ADMIN_TOKEN}`, "content-type": "application/json" },
          body: payload,
        });
        expect([200, 400]).toContain(response.status);
        const answer = (await response.json()) as { code: string };
        if (response.status === 400) expect(answer.code).toBe("invalid_request");
        else expect(answer.code).toBe("invalid_key");
        expect(counted.queries()).toBe(before);
      }),
      propertyRuns(150),
    );
  });
});
