import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

type Json = Record<string, any>;
const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

async function openApiDocument(): Promise<Json> {
  const response = await exports.default.fetch("http://gw.test/_gateway/openapi.json");
  expect(response.status).toBe(200);
  return response.json();
}

/** Every `$ref` in the document, with where it was found. */
function refs(node: unknown, at = "#"): [string, string][] {
  if (Array.isArray(node)) return node.flatMap((item, i) => refs(item, `${at}/${i}`));
  if (node && typeof node === "object") {
    return Object.entries(node).flatMap(([k, v]) =>
      k === "$ref" && typeof v === "string" ? [[at, v] as [string, string]] : refs(v, `${at}/${k}`),
    );
  }
  return [];
}

function resolve(document: Json, ref: string): unknown {
  if (!ref.startsWith("#/")) return undefined;
  return ref
    .slice(2)
    .split("/")
    .map((part) => part.replaceAll("~1", "/").replaceAll("~0", "~"))
    .reduce<any>((node, part) => (node == null ? undefined : node[part]), document);
}

describe("GET /_gateway/openapi.json", () => {
  it("is an OpenAPI 3.1 document of every /_gateway endpoint", async () => {
    const document = await openApiDocument();
    expect(document.openapi).toMatch(/^3\.1\.\d+$/);
    expect(document.info.title).toBeTruthy();
    expect(document.info.version).toBeTruthy();
    const operations = Object.entries(document.paths as Json).flatMap(([path, item]) =>
      Object.keys(item)
        .filter((m) => METHODS.includes(m))
        .map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(operations.sort()).toEqual(
      [
        "GET /health",
        "GET /me",
        "GET /portal/login",
        "GET /portal/callback",
        "POST /portal/logout",
        "POST /verify",
        "POST /admin/keys",
        "POST /admin/keys/import",
        "GET /admin/keys",
        "GET /admin/keys/{id}",
        "PATCH /admin/keys/{id}",
        "DELETE /admin/keys/{id}",
        "POST /admin/keys/{id}/rotate",
        "GET /admin/keys/{id}/usage",
        "GET /admin/keys/{id}/limits",
        "GET /admin/audit",
        "POST /admin/operators",
        "GET /admin/operators",
        "DELETE /admin/operators/{id}",
        "GET /admin/usage",
        "POST /admin/webhooks",
        "GET /admin/webhooks",
        "GET /admin/webhooks/{id}",
        "PATCH /admin/webhooks/{id}",
        "DELETE /admin/webhooks/{id}",
        "GET /admin/webhooks/{id}/deliveries",
        "POST /admin/webhooks/{id}/deliveries/{deliveryId}/resend",
        "POST /admin/identities",
        "GET /admin/identities",
        "GET /admin/identities/{id}",
        "PATCH /admin/identities/{id}",
        "DELETE /admin/identities/{id}",
        "GET /admin/identities/{id}/usage",
        "POST /admin/plans",
        "GET /admin/plans",
        "GET /admin/plans/{id}",
        "PATCH /admin/plans/{id}",
        "DELETE /admin/plans/{id}",
        "GET /openapi.json",
        "GET /docs",
        "GET /portal/api/me",
        "GET /portal/api/keys",
        "POST /portal/api/keys",
        "GET /portal/api/keys/{id}",
        "DELETE /portal/api/keys/{id}",
        "POST /portal/api/keys/{id}/roll",
        "GET /portal/api/usage",
      ].sort(),
    );
  });

  it("gives every operation responses, declared path parameters and known security schemes", async () => {
    const document = await openApiDocument();
    const schemes = document.components?.securitySchemes ?? {};
    for (const [path, item] of Object.entries(document.paths as Json)) {
      const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      for (const method of METHODS.filter((m) => item[m])) {
        const operation = item[method];
        const where = `${method} ${path}`;
        expect(Object.keys(operation.responses ?? {}).length, where).toBeGreaterThan(0);
        for (const [status, response] of Object.entries(operation.responses as Json)) {
          expect(status, where).toMatch(/^([1-5]\d\d|[1-5]XX|default)$/);
          expect(typeof response.description, `${where} ${status}`).toBe("string");
        }
        const pathParams = (operation.parameters ?? []).filter((p: Json) => p.in === "path");
        expect(pathParams.map((p: Json) => p.name).sort(), where).toEqual(templated.sort());
        for (const p of pathParams) expect(p.required, `${where} ${p.name}`).toBe(true);
        for (const requirement of operation.security ?? []) {
          for (const name of Object.keys(requirement)) expect(schemes, `${where} security ${name}`).toHaveProperty(name);
        }
        if (path.startsWith("/admin/")) {
          expect(operation.security, where).toEqual([{ adminToken: [expect.stringMatching(/^(keys|usage|operators):[a-z]+$/)] }]);
          expect(operation.responses, where).toHaveProperty("401");
          expect(operation.responses, where).toHaveProperty("403");
        }
      }
    }
  });

  it("resolves every $ref to an existing component", async () => {
    const document = await openApiDocument();
    const found = refs(document);
    expect(found.length).toBeGreaterThan(0);
    for (const [at, ref] of found) expect(resolve(document, ref), `${ref} at ${at}`).toBeDefined();
    for (const name of ["Key", "CreatedKey", "CreateKey", "UpdateKey", "Problem", "AuditEntry", "UsageBucket", "Me"]) {
      expect(document.components.schemas, name).toHaveProperty(name);
    }
  });

  it("names every operation with a unique operationId", async () => {
    const document = await openApiDocument();
    const ids = Object.values(document.paths as Json).flatMap((item) =>
      METHODS.filter((m) => item[m]).map((m) => item[m].operationId as string | undefined),
    );
    expect(
      ids.every((id) => typeof id === "string" && /^[a-z][A-Za-z]+$/.test(id)),
      String(ids),
    ).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("declares no credential on /health, /openapi.json and /docs, and the Apache-2.0 license", async () => {
    const document = await openApiDocument();
    for (const path of ["/health", "/openapi.json", "/docs"]) expect(document.paths[path].get.security, path).toEqual([]);
    expect(document.info.license).toEqual({ name: "Apache-2.0", identifier: "Apache-2.0" });
  });

  it("documents the constraints the admin API enforces", async () => {
    const document = await openApiDocument();
    const parameter = (path: string, name: string) => (document.paths[path].get.parameters as Json[]).find((p) => p.name === name) as Json;
    for (const path of ["/admin/keys", "/admin/audit"]) {
      expect(parameter(path, "limit").schema, path).toMatchObject({ type: "integer", minimum: 1, maximum: 100 });
      expect(parameter(path, "cursor").description, path).toMatch(/opaque/i);
    }
    expect(parameter("/admin/keys/{id}/usage", "from").description).toMatch(/before `to`/);
    const entry = document.components.schemas.CreateKey.properties.ipAllowlist.items as Json;
    expect(entry.anyOf.map((s: Json) => s.format).sort()).toEqual(["ipv4", "ipv4-cidr", "ipv6", "ipv6-cidr"]);
    expect(document.components.schemas.Key.properties.quota.anyOf).toContainEqual({ type: "null" });
    for (const name of ["RateLimit", "Quota", "QuotaPeriod", "AuditAction"]) expect(document.components.schemas, name).toHaveProperty(name);
  });
});
