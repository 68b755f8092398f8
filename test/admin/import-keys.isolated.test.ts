import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { database } from "../../src/db/client";
import { generateKey, hashKey, parseKey } from "../../src/keys/format";
import { hasImportedShape, IMPORT_PREFIXES_REFRESH_MS } from "../../src/keys/import-prefixes";
import { keyLocator } from "../../src/keys/locator";
import { admin } from "../support/admin";
import { call, countingD1, expectProblem, gatewayEnv, json, withKey } from "../support/gateway";

const counted = countingD1(env.DB);
const gateway = gatewayEnv([{ path: "/api/*", upstream: env.UPSTREAM_URL }], { DB: counted.db });

interface Report {
  imported: { index: number; id: string }[];
  duplicates: { index: number; id: string }[];
  invalid: { index: number; detail: string }[];
}

let serial = 0;
/** A foreign key nobody has used yet: `<prefix>_` and 32 characters. */
function foreignKey(prefix: string): string {
  serial++;
  const body = `${crypto.randomUUID().replaceAll("-", "")}`.slice(0, 28) + String(serial).padStart(4, "0");
  return prefix ? `${prefix}_${body}` : body;
}

async function importKeys(body: unknown): Promise<Report> {
  return json<Report>(await admin(gateway, "POST", "/keys/import", body), 200);
}

describe("the shape check before any lookup", () => {
  it("refuses a key of an unregistered shape without a D1 query once the registry is loaded", async () => {
    await importKeys({ prefix: "pk_shape", keys: [{ key: foreignKey("pk_shape"), name: "shape" }] });
    expect((await withKey(gateway, "/api/x", foreignKey("pk_shape"))).status).toBe(401); // loads the registry if needed
    const before = counted.queries();
    const response = await withKey(gateway, "/api/x", foreignKey("never_registered"));
    expect(response.status).toBe(401);
    expect(counted.queries()).toBe(before);
  });

  it("costs a key of the gateway's own format nothing new: no D1 query on a cold cache (its body names its object), one for an older one, as before", async () => {
    const created = await json<{ key: string }>(await admin(gateway, "POST", "/keys", { name: "own" }), 201);
    let before = counted.queries();
    expect((await withKey(gateway, "/api/x", created.key)).status).toBe(200);
    expect(counted.queries() - before).toBe(0);
    let older = generateKey("gk_live");
    while (keyLocator(parseKey(older)!.body)) older = generateKey("gk_live"); // one in ~1,900 fits a tag by chance
    await importKeys({ keys: [{ key: older, name: "own, older format" }] });
    before = counted.queries();
    expect((await withKey(gateway, "/api/x", older)).status).toBe(200);
    expect(counted.queries() - before).toBe(1);
  });

  it("learns a prefix registered by another isolate within the refresh interval", async () => {
    const db = database(counted.db);
    const key = foreignKey("pk_elsewhere");
    const now = Date.now();
    expect(await hasImportedShape(key, db, now)).toBe(false);
    await env.DB.prepare("insert into import_prefixes (prefix, created_at) values ('pk_elsewhere', 0)").run();
    expect(await hasImportedShape(key, db, now + 1)).toBe(false);
    expect(await hasImportedShape(key, db, now + IMPORT_PREFIXES_REFRESH_MS + 1)).toBe(true);
  });

  it("keeps judging shapes from its last copy of the registry while D1 is unreachable", async () => {
    const unreachable = database({
      prepare: () => {
        throw new Error("D1_ERROR: Network connection lost.");
      },
    } as unknown as D1Database);
    const later = Date.now() + 10 * IMPORT_PREFIXES_REFRESH_MS;
    expect(await hasImportedShape(foreignKey("pk_elsewhere"), unreachable, later)).toBe(true);
    expect(await hasImportedShape(foreignKey("pk_nowhere"), unreachable, later)).toBe(false);
  });
});

describe("POST /_gateway/admin/keys/import", () => {
  it("imports plaintext keys with every create field, and they authenticate through the proxy", async () => {
    const key = foreignKey("sk_live");
    const fields = {
      name: "Legacy Acme",
      owner: "acme",
      scopes: ["read"],
      expiresAt: "2099-01-01T00:00:00Z",
      rateLimits: [{ name: "minute", limit: 100, window: 60 }],
      quota: { limit: 1000, period: "month" },
      ipAllowlist: ["203.0.113.0/24"],
      metadata: { plan: "legacy" },
      enabled: true,
    };
    const report = await importKeys({ prefix: "sk_live", keys: [{ key, ...fields }] });
    expect(report).toEqual({ imported: [{ index: 0, id: expect.stringMatching(/^key_/) }], duplicates: [], invalid: [] });

    const stored = await json(await admin(gateway, "GET", `/keys/${report.imported[0]!.id}`), 200);
    expect(stored).toMatchObject({ ...fields, expiresAt: "2099-01-01T00:00:00.000Z", start: key.slice(0, "sk_live_".length + 4) });
    expect(JSON.stringify(stored)).not.toContain(key);

    const response = await withKey(gateway, "/api/x", key, { "cf-connecting-ip": "203.0.113.9" });
    expect(response.status).toBe(200);
    expect(response.headers.get("ratelimit-policy")).toContain('"minute";q=100;w=60');
  });

  it("imports a key given only as its SHA-256, which shows its prefix as its start", async () => {
    const key = foreignKey("sk_live");
    const report = await importKeys({ prefix: "sk_live", keys: [{ hash: hashKey(key).toUpperCase(), name: "by hash" }] });
    const stored = await json<{ start: string }>(await admin(gateway, "GET", `/keys/${report.imported[0]!.id}`), 200);
    expect(stored.start).toBe("sk_live_");
    expect((await withKey(gateway, "/api/x", key)).status).toBe(200);
  });

  it("reports a re-run's entries as duplicates of the keys it made, and changes nothing", async () => {
    const keys = [foreignKey("pk_dup"), foreignKey("pk_dup")];
    const body = { prefix: "pk_dup", keys: keys.map((key, i) => ({ key, name: `dup ${i}` })) };
    const first = await importKeys(body);
    const auditBefore = await json<{ items: unknown[] }>(await admin(gateway, "GET", "/audit?limit=100"), 200);

    const again = await importKeys({ ...body, keys: body.keys.map((entry) => ({ ...entry, name: "renamed" })) });
    expect(again).toEqual({ imported: [], duplicates: first.imported, invalid: [] });
    const stored = await json<{ name: string }>(await admin(gateway, "GET", `/keys/${first.imported[0]!.id}`), 200);
    expect(stored.name).toBe("dup 0");
    const auditAfter = await json<{ items: unknown[] }>(await admin(gateway, "GET", "/audit?limit=100"), 200);
    expect(auditAfter.items).toEqual(auditBefore.items);
  });

  it("reports a key given twice in one call (as plaintext and as hash) as a duplicate of the first", async () => {
    const key = foreignKey("pk_twice");
    const report = await importKeys({
      prefix: "pk_twice",
      keys: [
        { key, name: "a" },
        { hash: hashKey(key), name: "b" },
      ],
    });
    expect(report.duplicates).toEqual([{ index: 1, id: report.imported[0]!.id }]);
  });

  it("reports every invalid entry by index, naming the field, while the valid ones land", async () => {
    const good = foreignKey("pk_mixed");
    const report = await importKeys({
      prefix: "pk_mixed",
      keys: [
        { key: foreignKey("other"), name: "wrong prefix" },
        { key: good, name: "good" },
        { name: "neither key nor hash" },
        { key: foreignKey("pk_mixed"), hash: "ab".repeat(32), name: "both" },
        { hash: "not-hex", name: "bad hash" },
        { key: "pk_mixed_short", name: "too short" },
        { key: foreignKey("pk_mixed"), name: "", quota: { limit: 1, period: "week" }, extra: true },
        "not an object",
      ],
    });
    expect(report.imported.map((entry) => entry.index)).toEqual([1]);
    expect(report.invalid.map((entry) => entry.index)).toEqual([0, 2, 3, 4, 5, 6, 7]);
    const detail = (index: number) => report.invalid.find((entry) => entry.index === index)!.detail;
    expect(detail(0)).toContain('key: must be "pk_mixed_"');
    expect(detail(2)).toContain("exactly one of key or hash");
    expect(detail(4)).toContain("hash:");
    expect(detail(6)).toMatch(/name: .*quota\.period: .*unknown field\(s\) "extra"/);
    expect(JSON.stringify(report)).not.toContain("pk_mixed_short");
    expect((await withKey(gateway, "/api/x", good)).status).toBe(200);
  });

  it("imports entries whose rows take several statements (large metadata)", async () => {
    const keys = Array.from({ length: 200 }, () => foreignKey("pk_big"));
    const metadata = { notes: "n".repeat(4000) };
    const report = await importKeys({ prefix: "pk_big", keys: keys.map((key, i) => ({ key, name: `big ${i}`, metadata })) });
    expect(report.imported).toHaveLength(200);
    const last = await json<{ metadata: unknown }>(await admin(gateway, "GET", `/keys/${report.imported[199]!.id}`), 200);
    expect(last.metadata).toEqual(metadata);
    expect((await withKey(gateway, "/api/x", keys[199]!)).status).toBe(200);
  });

  it("refuses the whole call for a bad prefix, no keys, or more than 1,000 keys", async () => {
    const one = [{ key: foreignKey("x"), name: "x" }];
    expect(
      (await expectProblem(await admin(gateway, "POST", "/keys/import", { prefix: "sk live", keys: one }), 400, "invalid_request")).detail,
    ).toContain("prefix");
    await expectProblem(await admin(gateway, "POST", "/keys/import", { keys: [] }), 400, "invalid_request");
    const many = Array.from({ length: 1001 }, (_, i) => ({ hash: i.toString(16).padStart(64, "0"), name: "n" }));
    expect((await expectProblem(await admin(gateway, "POST", "/keys/import", { keys: many }), 400, "invalid_request")).detail).toContain(
      "keys",
    );
    expect((await expectProblem(await admin(gateway, "POST", "/keys/import", "[]"), 400, "invalid_request")).code).toBe("invalid_request");
  });

  it("records one audit entry with the count and prefix, never a key or hash", async () => {
    const keys = [foreignKey("pk_audit"), foreignKey("pk_audit"), foreignKey("pk_audit")];
    await importKeys({
      prefix: "pk_audit",
      keys: [{ key: keys[0], name: "a" }, { hash: hashKey(keys[1]!), name: "b" }, { key: keys[2], name: "c" }, { name: "bad" }],
    });
    const audit = await json<{ items: { action: string; keyId: string | null; actor: string; changes: Record<string, unknown> }[] }>(
      await admin(gateway, "GET", "/audit?limit=1"),
      200,
    );
    expect(audit.items[0]).toMatchObject({
      action: "key.import",
      keyId: null,
      actor: "admin",
      changes: { count: 3, prefix: "pk_audit", duplicates: 0, invalid: 1 },
    });
    const text = JSON.stringify(audit);
    for (const key of keys) {
      expect(text).not.toContain(key);
      expect(text).not.toContain(hashKey(key));
    }
  });

  it("admits an imported key that this isolate had looked up as unknown just before", async () => {
    const key = foreignKey("pk_late");
    await importKeys({ prefix: "pk_late", keys: [{ hash: hashKey(foreignKey("pk_late")), name: "registers the shape" }] });
    expect((await withKey(gateway, "/api/x", key)).status).toBe(401);
    await importKeys({ prefix: "pk_late", keys: [{ key, name: "late" }] });
    expect((await withKey(gateway, "/api/x", key)).status).toBe(200);
  });

  it("rotates an imported key whose prefix the gateway's format cannot take to a key of the default prefix", async () => {
    const key = foreignKey("SK-Live");
    const { imported } = await importKeys({ prefix: "SK-Live", keys: [{ key, name: "upper" }] });
    const rotated = await json<{ key: string }>(await admin(gateway, "POST", `/keys/${imported[0]!.id}/rotate`, {}), 201);
    expect(rotated.key).toMatch(/^gk_live_/);
    expect((await withKey(gateway, "/api/x", rotated.key)).status).toBe(200);
    expect((await withKey(gateway, "/api/x", key)).status).toBe(401);
  });
});

describe("prefixes an import may register", () => {
  it("refuses an empty, short or reserved prefix with 400 naming prefix, and registers nothing", async () => {
    const one = [{ hash: hashKey(foreignKey("x")), name: "x" }];
    for (const prefix of ["", "ab", "Bearer", "token", "api-key", "gk_live", "gk", "gop", "whsec"]) {
      const problem = await expectProblem(await admin(gateway, "POST", "/keys/import", { prefix, keys: one }), 400, "invalid_request");
      expect(problem.detail, prefix).toMatch(/^prefix: /);
    }
    const { items } = await json<{ items: { prefix: string }[] }>(await admin(gateway, "GET", "/keys/import-prefixes"), 200);
    expect(items.map((item) => item.prefix)).not.toEqual(expect.arrayContaining(["", "ab", "Bearer"]));
  });

  it("imports without a prefix and registers no shape: a bare foreign key is refused as an entry, a key of the gateway's own format works", async () => {
    const bare = foreignKey("");
    const own = generateKey("gk_live");
    const report = await importKeys({
      keys: [
        { key: bare, name: "bare" },
        { key: own, name: "from another deployment" },
      ],
    });
    expect(report.imported).toHaveLength(1);
    expect(JSON.stringify(report)).toContain("import foreign keys with the prefix they carry");
    const { items } = await json<{ items: { prefix: string }[] }>(await admin(gateway, "GET", "/keys/import-prefixes"), 200);
    expect(items.map((item) => item.prefix)).not.toContain("");
    expect((await withKey(gateway, "/api/x", own)).status).toBe(200);
    const before = counted.queries();
    expect((await withKey(gateway, "/api/x", bare)).status).toBe(401);
    expect(counted.queries()).toBe(before);
  });

  it("lists registrations and deletes one: its keys stop being looked up here at once and elsewhere within the refresh interval", async () => {
    const key = foreignKey("pk_gone");
    await importKeys({ prefix: "pk_gone", keys: [{ key, name: "gone" }] });
    const listed = await json<{ items: { prefix: string; createdAt: string }[] }>(
      await admin(gateway, "GET", "/keys/import-prefixes"),
      200,
    );
    expect(listed.items).toContainEqual({ prefix: "pk_gone", createdAt: expect.any(String) });
    expect((await withKey(gateway, "/api/x", key)).status).toBe(200);

    const now = Date.now();
    expect((await admin(gateway, "DELETE", "/keys/import-prefixes/pk_gone")).status).toBe(204);
    expect((await withKey(gateway, "/api/x", key)).status).toBe(401);
    const after = await json<{ items: { prefix: string }[] }>(await admin(gateway, "GET", "/keys/import-prefixes"), 200);
    expect(after.items.map((item) => item.prefix)).not.toContain("pk_gone");
    // Another isolate's copy: read again from D1 once the interval has passed.
    expect(await hasImportedShape(foreignKey("pk_gone"), database(counted.db), now + IMPORT_PREFIXES_REFRESH_MS + 1)).toBe(false);

    const audit = await json<{ items: { action: string; changes: unknown }[] }>(await admin(gateway, "GET", "/audit?limit=1"), 200);
    expect(audit.items[0]).toMatchObject({ action: "key.import_prefix.delete", changes: { prefix: "pk_gone" } });
    await expectProblem(await admin(gateway, "DELETE", "/keys/import-prefixes/pk_gone"), 404, "not_found");
  });

  it("never echoes a field name that could be a key", async () => {
    const key = foreignKey("pk_field");
    const report = await importKeys({ prefix: "pk_field", keys: [{ hash: hashKey(key), name: "a", [key]: true }] });
    expect(report.invalid[0]!.detail).toContain("unknown field(s)");
    expect(JSON.stringify(report)).not.toContain(key);
    const problem = await expectProblem(await admin(gateway, "POST", "/keys", { name: "n", [key]: 1 }), 400, "invalid_request");
    expect(problem.detail).toContain("unknown field(s)");
    expect(JSON.stringify(problem)).not.toContain(key);
  });
});

describe("the import in the OpenAPI document", () => {
  it("documents the route with its operationId and each entry's constraints", async () => {
    const doc = await json<any>(await call(gateway, "/_gateway/openapi.json"), 200);
    const operation = doc.paths["/admin/keys/import"].post;
    expect(operation.operationId).toBe("importKeys");
    expect(doc.paths["/admin/keys/import-prefixes"].get.operationId).toBe("listImportPrefixes");
    expect(doc.paths["/admin/keys/import-prefixes/{prefix}"].delete.operationId).toBe("deleteImportPrefix");
    expect(doc.components.schemas.ImportKeys.properties.prefix.minLength).toBe(3);
    const body = doc.components.schemas.ImportKeys;
    expect(body.properties.keys).toMatchObject({ minItems: 1, maxItems: 1000, items: { $ref: "#/components/schemas/ImportKey" } });
    const entry = doc.components.schemas.ImportKey;
    expect(entry.required).toEqual(["name"]);
    expect(entry.properties.hash.pattern).toBe("^[0-9a-fA-F]{64}$");
    expect(Object.keys(entry.properties)).toEqual(expect.arrayContaining(["key", "hash", "name", "owner", "scopes", "quota", "metadata"]));
    expect(entry.properties).not.toHaveProperty("prefix");
  });
});
