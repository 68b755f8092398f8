import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

type Document = { paths: Record<string, Record<string, unknown>> };

async function adminOperations(): Promise<[string, string][]> {
  const document = (await (await exports.default.fetch("http://gw.test/_gateway/openapi.json")).json()) as Document;
  const operations = Object.entries(document.paths)
    .filter(([path]) => path.startsWith("/admin/"))
    .flatMap(([path, item]) =>
      Object.keys(item).map((method) => [method.toUpperCase(), `/_gateway${path.replaceAll(/\{[^}]+\}/g, "key_x")}`] as [string, string]),
    );
  expect(operations.length).toBeGreaterThanOrEqual(8);
  return operations;
}

describe("admin authentication", () => {
  it.each([
    ["no Authorization header", undefined, "missing_key"],
    ["a wrong token", `Bearer not-${env.ADMIN_TOKEN}`, "invalid_token"],
    ["the right token in another scheme", `api-key ${env.ADMIN_TOKEN}`, "missing_key"],
  ])("answers 401 on every admin operation to %s", async (_, authorization, code) => {
    let client = 0;
    for (const [method, path] of await adminOperations()) {
      // A client address per call: failed admin logins may be limited per address.
      const headers: Record<string, string> = { "content-type": "application/json", "cf-connecting-ip": `192.0.2.${++client}` };
      if (authorization) headers.authorization = authorization;
      const response = await exports.default.fetch(`http://gw.test${path}`, {
        method,
        headers,
        ...(method !== "GET" && method !== "DELETE" && { body: "{}" }),
      });
      expect(response.status, `${method} ${path}`).toBe(401);
      expect(response.headers.get("www-authenticate"), `${method} ${path}`).toMatch(
        code === "invalid_token" ? /^Bearer realm="[^"]+", error="invalid_token"$/ : /^Bearer realm="[^"]+"$/,
      );
      expect(((await response.json()) as { code: string }).code).toBe(code);
    }
  });

  it("answers 401 before 404 on an admin path that does not exist", async () => {
    const response = await exports.default.fetch("http://gw.test/_gateway/admin/nothing-here");
    expect(response.status).toBe(401);
  });
});
