import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { z } from "zod";

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

/** Every example in the document with the schema it illustrates: a schema's own `example`, a parameter's, a media type's. */
function examples(node: unknown, at = "#"): { at: string; schema: Json; example: unknown }[] {
  if (Array.isArray(node)) return node.flatMap((item, i) => examples(item, `${at}/${i}`));
  if (!node || typeof node !== "object") return [];
  const found: { at: string; schema: Json; example: unknown }[] = [];
  const object = node as Json;
  if ("example" in object) {
    const { example, ...rest } = object;
    const schema = object.schema ?? rest; // a parameter or media type carries its schema beside the example
    found.push({ at, schema, example });
  }
  for (const [k, v] of Object.entries(object)) if (k !== "example") found.push(...examples(v, `${at}/${k}`));
  return found;
}

/** The document's schema as one JSON Schema (2020-12), its components as `$defs`, for zod to validate against. */
function standalone(document: Json, schema: Json): Json {
  const text = JSON.stringify(schema).replaceAll('"#/components/schemas/', '"#/$defs/');
  const defs = JSON.parse(JSON.stringify(document.components.schemas).replaceAll('"#/components/schemas/', '"#/$defs/'));
  return { ...JSON.parse(text), $defs: defs };
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
        "POST /introspect",
        "POST /secret-scanning",
        "POST /admin/keys",
        "POST /admin/keys/import",
        "GET /admin/keys/import-prefixes",
        "DELETE /admin/keys/import-prefixes/{prefix}",
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
        "POST /admin/webhooks/{id}/rotate-secret",
        "GET /admin/webhooks/{id}/deliveries",
        "POST /admin/webhooks/{id}/deliveries/{deliveryId}/resend",
        "POST /admin/webhooks/{id}/test",
        "POST /admin/identities",
        "GET /admin/identities",
        "GET /admin/identities/{id}",
        "PATCH /admin/identities/{id}",
        "DELETE /admin/identities/{id}",
        "GET /admin/identities/{id}/usage",
        "POST /admin/plans",
        "GET /admin/plans",
        "GET /admin/plans/{id}",
        "GET /admin/routes",
        "PATCH /admin/plans/{id}",
        "DELETE /admin/plans/{id}",
        "GET /admin/billing/export",
        "POST /admin/billing/export",
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
    expect(entry).not.toHaveProperty("format");
    const ipOrCidr = new RegExp(entry.pattern);
    for (const good of ["203.0.113.7", "203.0.113.0/24", "2001:db8::1", "2001:db8::/32"]) expect(good).toMatch(ipOrCidr);
    for (const bad of ["203.0.113.256", "203.0.113.0/33", "2001:db8::/129", "localhost"]) expect(bad).not.toMatch(ipOrCidr);
    expect(document.components.schemas.Key.properties.quota.anyOf).toContainEqual({ type: "null" });
    for (const name of ["RateLimit", "Quota", "QuotaPeriod", "AuditAction"]) expect(document.components.schemas, name).toHaveProperty(name);
  });

  it("is as strict as the validation: PATCH bodies, page sizes, unique lists, route paths, webhook URLs, lockout and media type", async () => {
    const document = await openApiDocument();
    const schemas = document.components.schemas as Json;
    for (const name of ["UpdateKey", "UpdateWebhook", "UpdateIdentity"]) expect(schemas[name].minProperties, name).toBe(1);
    for (const [path, item] of Object.entries(document.paths as Json)) {
      const limit = (item.get?.parameters as Json[] | undefined)?.find((p) => p.name === "limit");
      if (limit) expect(limit.schema, path).toMatchObject({ type: "integer", minimum: 1, maximum: 100 });
      for (const method of METHODS.filter((m) => item[m] && path.startsWith("/admin/"))) {
        expect(item[method].responses, `${method} ${path}: the failed-login lockout`).toHaveProperty("429");
        if (item[method].requestBody) expect(item[method].responses, `${method} ${path}`).toHaveProperty("415");
      }
    }
    for (const field of ["events", "thresholds"]) expect(schemas.CreateWebhook.properties[field].uniqueItems, field).toBe(true);
    const routePaths = schemas.CreateKey.properties.routeRateLimits;
    expect(routePaths.maxProperties).toBe(32);
    expect("/v1/*").toMatch(new RegExp(routePaths.propertyNames.pattern));
    expect("v1").not.toMatch(new RegExp(routePaths.propertyNames.pattern));
    const url = new RegExp(schemas.CreateWebhook.properties.url.pattern);
    for (const good of ["https://hooks.example.com/x?a=1", "http://localhost:8788/hook", "http://127.0.0.1/h"]) expect(good).toMatch(url);
    for (const bad of ["ftp://example.com", "http://example.com/hook", "https://user:pw@example.com/"]) expect(bad).not.toMatch(url);
  });

  it("gives examples that work against `npm run dev`: route paths it has, no filters that find nothing", async () => {
    const document = await openApiDocument();
    const devRoutes = ["/demo/*", "/public/*"]; // scripts/dev.ts
    const schemas = document.components.schemas as Json;
    for (const path of Object.keys(schemas.CreateKey.properties.routeRateLimits.example)) expect(devRoutes).toContain(path);
    expect(devRoutes).toContain(schemas.VerifyRequest.properties.route.example);
    // "Try it" sends every example: a filter with one would list nothing on a fresh gateway.
    const filters = ["owner", "identityId", "externalId", "keyIds", "keyId", "actor", "from", "to", "cursor"];
    for (const [path, item] of Object.entries(document.paths as Json)) {
      for (const parameter of (item.get?.parameters ?? []) as Json[]) {
        if (parameter.in === "query" && filters.includes(parameter.name)) {
          expect(parameter.example, `${path} ${parameter.name}`).toBeUndefined();
          expect(parameter.schema.example, `${path} ${parameter.name}`).toBeUndefined();
        }
      }
    }
  });

  it("holds every example valid against its own schema", async () => {
    const document = await openApiDocument();
    const found = examples(document.paths).concat(examples(document.components.schemas, "#/components/schemas"));
    expect(found.length).toBeGreaterThan(20);
    for (const { at, schema, example } of found) {
      const result = z.fromJSONSchema(standalone(document, schema) as never).safeParse(example);
      expect(result.success, `${at}: ${JSON.stringify(example)} ${result.error?.message ?? ""}`).toBe(true);
    }
    const createKey = z.fromJSONSchema(standalone(document, { $ref: "#/components/schemas/CreateKey" }) as never);
    expect(createKey.safeParse({ name: "" }).success, "the check can fail").toBe(false);
  });
});
