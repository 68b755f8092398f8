// The operators' CLI (scripts/keys-cli.ts) against the built gateway on a real socket: in-process,
// and the real `node scripts/keys.ts` for its exit code, colour and entry (the last describe).
import { readFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../../scripts/build.ts";
import { type CliRun, keysInProcess, keysProcess } from "./support/keys-cli.ts";
import { type SharedGateway, sharedGateway, SHARED_ADMIN_TOKEN as TOKEN } from "./support/shared-gateway.ts";

let gateway: SharedGateway;

beforeAll(async () => {
  gateway = await sharedGateway({ isolates: 1, settings: {} });
});

/** `npm run keys -- --url <gateway> <args>`, in this process. */
const keys = (args: string[], token = TOKEN): Promise<CliRun> =>
  keysInProcess(["--url", gateway.url, ...args], { GATEWAY_ADMIN_TOKEN: token });

/** The same as `node scripts/keys.ts`, a child process on pipes. */
const keysSpawned = (args: string[], env: Record<string, string> = {}): Promise<CliRun> =>
  keysProcess(["--url", gateway.url, ...args], { GATEWAY_ADMIN_TOKEN: TOKEN, ...env });

const callApi = (key: string) => fetch(`${gateway.url}/api/x`, { headers: { "x-api-key": key } });

describe("npm run keys", () => {
  it("sets a key's per-route limits with --route-rate-limit, grouped by route path", async () => {
    const created = await keys([
      "create",
      "--name",
      "partner",
      "--route-rate-limit",
      "/v1/search:minute=1000/60",
      "--route-rate-limit",
      "/v1/search:second=20/1",
      "--route-rate-limit",
      "/v1/*:minute=50/60",
      "--json",
    ]);
    expect(created.code, created.stderr).toBe(0);
    expect((JSON.parse(created.stdout) as { routeRateLimits: unknown }).routeRateLimits).toEqual({
      "/v1/search": [
        { name: "minute", limit: 1000, window: 60 },
        { name: "second", limit: 20, window: 1 },
      ],
      "/v1/*": [{ name: "minute", limit: 50, window: 60 }],
    });
    const bad = await keys(["create", "--name", "x", "--route-rate-limit", "minute=5/60"]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("--route-rate-limit");
  });

  it("warns on stderr, without failing, about route limits naming a path no configured route has", async () => {
    const created = await keys(["create", "--name", "warned", "--route-rate-limit", "/v2/search:minute=5/60", "--json"]);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stderr.trim().split("\n")).toEqual([
      "warning: no route has path /v2/search, so its limits apply to no request (routes: /api/*)",
    ]);
    const { id } = JSON.parse(created.stdout) as { id: string };
    const known = await keys(["update", id, "--route-rate-limit", "/api/*:minute=5/60"]);
    expect(known.code, known.stderr).toBe(0);
    expect(known.stderr).toBe("");
    const unknown = await keys(["update", id, "--route-rate-limit", "/api/x:minute=5/60", "--route-rate-limit", "/api/*:minute=9/60"]);
    expect(unknown.code, unknown.stderr).toBe(0);
    expect(unknown.stderr.trim().split("\n")).toEqual([
      "warning: no route has path /api/x, so its limits apply to no request (routes: /api/*)",
    ]);
  });

  it("lists keys sorted on the server with --sort, filtered by --status and --search", async () => {
    const owner = `sorted-${Date.now()}`;
    // The search term holds a "." that no id or displayed key start can contain (they are searched too).
    for (const name of ["bravo", "alpha.x", "charlie.x"]) expect((await keys(["create", "--name", name, "--owner", owner])).code).toBe(0);
    const names = async (...args: string[]) => {
      const listed = await keys(["list", "--owner", owner, "--all", "--limit", "1", "--json", ...args]);
      expect(listed.code, listed.stderr).toBe(0);
      return (JSON.parse(listed.stdout) as { items: { name: string }[] }).items.map((k) => k.name);
    };
    expect(await names("--sort", "name")).toEqual(["alpha.x", "bravo", "charlie.x"]);
    expect(await names("--sort=-name")).toEqual(["charlie.x", "bravo", "alpha.x"]);
    expect(await names("--sort=-createdAt")).toEqual(["charlie.x", "alpha.x", "bravo"]);
    expect(await names("--sort", "name", "--search", ".x", "--status", "active")).toEqual(["alpha.x", "charlie.x"]);
    const bad = await keys(["list", "--sort", "colour"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("invalid_request");
    expect(bad.stderr).toContain("sort");
  });

  it("creates, lists, updates, rotates, shows usage and revokes a key", async () => {
    const owner = `cli-${Date.now()}`;
    const created = await keys([
      "create",
      "--name",
      "CLI key",
      "--owner",
      owner,
      "--scope",
      "read",
      "--rate-limit",
      "minute=100/60",
      "--quota",
      "1000/month",
      "--json",
    ]);
    expect(created.code, created.stderr).toBe(0);
    const key = JSON.parse(created.stdout) as { id: string; key: string };
    expect(key.key).toMatch(/^gk_live_/);
    expect((await callApi(key.key)).status).toBe(200);

    const list = await keys(["list", "--owner", owner]);
    expect(list.stdout).toContain(key.id);
    expect(list.stdout).toMatch(/id\s+name\s+owner/);

    const updated = await keys(["update", key.id, "--disable", "--metadata", '{"team":"ops"}']);
    expect(updated.code, updated.stderr).toBe(0);
    expect(updated.stdout).toMatch(/status\s+disabled/);
    expect((await callApi(key.key)).status).toBe(401);
    await keys(["update", key.id, "--enable"]);

    const rotated = await keys(["rotate", key.id, "--grace", "60", "--json"]);
    const newKey = (JSON.parse(rotated.stdout) as { key: string }).key;
    expect((await callApi(newKey)).status).toBe(200);
    expect((await callApi(key.key)).status).toBe(200);

    const usage = await keys(["usage", key.id]);
    expect(usage.stdout).toMatch(/total\s+3\s+0\s+0/);

    expect((await keys(["revoke", key.id])).stdout).toContain(`revoked ${key.id}`);
    expect((await callApi(newKey)).status).toBe(401);
    expect((await keys(["get", key.id])).stdout).toMatch(/status\s+revoked/);

    const audit = await keys(["audit", "--key", key.id, "--json"]);
    expect((JSON.parse(audit.stdout) as { items: { action: string }[] }).items.map((e) => e.action)).toEqual([
      "key.revoke",
      "key.rotate",
      "key.update",
      "key.update",
      "key.create",
    ]);
  });

  it("creates, lists and revokes operator tokens, whose writes the audit log attributes to them", async () => {
    const created = await keys([
      "operators",
      "create",
      "--name",
      "CLI operator",
      "--scope",
      "keys:write",
      "--scope",
      "keys:read",
      "--json",
    ]);
    expect(created.code, created.stderr).toBe(0);
    const operator = JSON.parse(created.stdout) as { id: string; token: string; scopes: string[] };
    expect(operator.token).toMatch(/^gop_/);
    expect(operator.scopes).toEqual(["keys:write", "keys:read"]);

    const made = await keys(["create", "--name", "made by an operator", "--json"], operator.token);
    expect(made.code, made.stderr).toBe(0);
    const key = JSON.parse(made.stdout) as { id: string };
    const refused = await keys(["operators", "list"], operator.token);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("insufficient_scope");

    const list = await keys(["operators", "list", "--all"]);
    expect(list.stdout).toMatch(/id\s+name\s+start\s+scopes\s+status/);
    expect(list.stdout).toMatch(new RegExp(`${operator.id}\\s+CLI operator\\s+gop_\\S+\\s+keys:write,keys:read\\s+active`));
    expect(list.stdout).not.toContain(operator.token);

    const audit = await keys(["audit", "--actor", operator.id]);
    expect(audit.stdout).toMatch(new RegExp(`key\\.create\\s+${key.id}\\s+${operator.id}`));

    expect((await keys(["operators", "revoke", operator.id])).stdout).toContain(`revoked ${operator.id}`);
    const afterRevoke = await keys(["list"], operator.token);
    expect(afterRevoke.code).toBe(1);
    expect(afterRevoke.stderr).toContain("invalid_token");
    expect((await keys(["operators", "list", "--all"])).stdout).toMatch(new RegExp(`${operator.id}.*revoked`));
    expect((await keys(["operators", "create", "--name", "x"])).code).toBe(2);
  });

  it("creates an identity, puts a key in it, shares its limit, shows its usage, and deletes it once the key is out", async () => {
    const externalId = `cli-customer-${Date.now()}`;
    const created = await keys([
      "identities",
      "create",
      "--external-id",
      externalId,
      "--name",
      "CLI customer",
      "--rate-limit",
      "minute=2/60",
      "--json",
    ]);
    expect(created.code).toBe(0);
    const identity = JSON.parse(created.stdout) as { id: string; externalId: string };
    expect(identity.externalId).toBe(externalId);
    expect((await keys(["identities", "list", "--external-id", externalId])).stdout).toMatch(
      new RegExp(`${identity.id}\\s+${externalId}\\s+CLI customer\\s+active`),
    );

    const key = JSON.parse((await keys(["create", "--name", "member", "--identity", identity.id, "--json"])).stdout) as {
      id: string;
      key: string;
    };
    expect((await keys(["get", key.id])).stdout).toMatch(new RegExp(`identity\\s+${identity.id}`));
    expect((await keys(["list", "--identity", identity.id])).stdout).toContain(key.id);
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await callApi(key.key)).status);
    expect(statuses).toEqual([200, 200, 429]);
    expect((await keys(["identities", "usage", identity.id])).stdout).toMatch(/total\s+2\s+1\s+0/);

    const refused = await keys(["identities", "delete", identity.id]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("conflict");
    expect((await keys(["update", key.id, "--no-identity"])).stdout).toMatch(/identity\s+-/);
    expect((await keys(["identities", "update", identity.id, "--disable"])).stdout).toMatch(/status\s+disabled/);
    expect((await keys(["identities", "delete", identity.id])).stdout).toContain(`deleted ${identity.id}`);
  });

  it("reports API errors and usage mistakes with a non-zero exit", async () => {
    const wrongToken = await keys(["list"], "wrong");
    expect(wrongToken.code).toBe(1);
    expect(wrongToken.stderr).toContain("invalid_token");
    const unknown = await keys(["get", "key_nope"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("not_found");
    const bad = await keys(["create", "--name", "x", "--quota", "lots"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--quota");
  });

  it("answers a usage mistake in one line that says where the help is; help, --help per command and --version", async () => {
    const unknownOption = await keys(["create", "--nme", "x"]);
    expect(unknownOption.code).toBe(2);
    expect(unknownOption.stderr.trim().split("\n")).toEqual(["error: Unknown option '--nme' (npm run keys -- create --help)"]);
    const noCommand = await keys([]);
    expect(noCommand.code).toBe(2);
    expect(noCommand.stderr.trim().split("\n")).toHaveLength(1);
    expect((await keys(["frobnicate"])).stderr.trim()).toBe("error: unknown command frobnicate (npm run keys -- help)");

    const help = await keys(["help"]);
    expect(help.code).toBe(0);
    for (const command of ["create", "limits <id>", "usage [--all]", "webhooks deliveries", "identities create", "operators create"])
      expect(help.stdout).toContain(command);
    const webhooksHelp = await keys(["webhooks", "--help"]);
    expect(webhooksHelp.stdout).toContain("webhooks resend <id> <delivery id>");
    expect(webhooksHelp.stdout).not.toContain("identities create");
    expect((await keys(["help", "rotate"])).stdout).toContain("rotate <id> [--grace <seconds>]");
    const version = await keys(["--version"]);
    expect(version.stdout.trim()).toBe((JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version);
  });

  it("shows a key's live limits and all keys' usage", async () => {
    const created = await keys(["create", "--name", "limits", "--rate-limit", "minute=5/60", "--quota", "100/month", "--json"]);
    const key = JSON.parse(created.stdout) as { id: string; key: string };
    for (let i = 0; i < 2; i++) expect((await callApi(key.key)).status).toBe(200);
    const limits = JSON.parse((await keys(["limits", key.id, "--json"])).stdout) as {
      state: string;
      rateLimits: { name: string; limit: number; remaining: number }[];
      quota: { used: number } | null;
    };
    expect(limits.state).toBe("allowed");
    expect(limits.rateLimits).toEqual([expect.objectContaining({ name: "minute", limit: 5, remaining: 3 })]);
    expect(limits.quota).toMatchObject({ used: 2 });
    expect((await keys(["limits", key.id])).stdout).toMatch(/minute\s+5 per 60s\s+3\s+/);

    const usage = await keys(["usage", "--all", "--group-by", "outcome", "--json"]);
    expect(usage.code, usage.stderr).toBe(0);
    const report = JSON.parse(usage.stdout) as { groupBy: string; groups: { group: string }[] };
    expect(report.groupBy).toBe("outcome");
    expect(report.groups.map((g) => g.group).sort()).toEqual(["allowed", "quota_exceeded", "rate_limited", "unauthorized"]);
    expect((await keys(["usage"])).stdout).toMatch(/^key\s+name\s+allowed\s+rate_limited\s+quota_exceeded\s+unauthorized/);

    // 401s count by route and in the total, for no key.
    for (let i = 0; i < 2; i++) expect((await callApi("gk_live_not-a-key")).status).toBe(401);
    const byRoute = await keys(["usage", "--group-by", "route"]);
    expect(byRoute.stdout).toMatch(/\/api\/\*\s+-\s+\d+\s+\d+\s+\d+\s+([2-9]|\d\d+)\n/);
    expect(byRoute.stdout).toMatch(/total\s+\d+\s+\d+\s+\d+\s+([2-9]|\d\d+)$/m);
  });

  it("manages webhooks: create, list, get, update, deliveries, resend, delete", async () => {
    const receiver = `${gateway.upstreamUrl}/hooks/cli`;
    const created = await keys(["webhooks", "create", receiver, "--event", "key.revoked", "--json"]);
    expect(created.code, created.stderr).toBe(0);
    const webhook = JSON.parse(created.stdout) as { id: string; secret: string; events: string[] };
    expect(webhook.secret).toMatch(/^whsec_/);
    expect(webhook.events).toEqual(["key.revoked"]);
    expect((await keys(["webhooks", "list"])).stdout).toContain(webhook.id);
    expect((await keys(["webhooks", "get", webhook.id])).stdout).toMatch(/events\s+key\.revoked/);

    const key = JSON.parse((await keys(["create", "--name", "to revoke", "--json"])).stdout) as { id: string };
    await keys(["revoke", key.id]);
    type Page = { items: { id: string; type: string; status: string }[] };
    let page: Page = { items: [] };
    for (let tries = 0; tries < 50 && page.items[0]?.status !== "delivered"; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      page = JSON.parse((await keys(["webhooks", "deliveries", webhook.id, "--json"])).stdout) as Page;
    }
    expect(page.items[0]).toMatchObject({ type: "key.revoked", status: "delivered" });
    expect((await keys(["webhooks", "deliveries", webhook.id])).stdout).toMatch(/key\.revoked\s+delivered\s+1\s+200/);
    const resent = await keys(["webhooks", "resend", webhook.id, page.items[0]!.id]);
    expect(resent.stdout).toContain(`queued ${page.items[0]!.id} again`);

    const updated = await keys(["webhooks", "update", webhook.id, "--disable", "--event", "key.revoked", "--event", "key.rotated"]);
    expect(updated.stdout).toMatch(/status\s+disabled/);
    expect(updated.stdout).toMatch(/events\s+key\.revoked, key\.rotated/);
    expect((await keys(["webhooks", "update", webhook.id])).code).toBe(2);
    expect((await keys(["webhooks", "delete", webhook.id])).stdout).toContain(`deleted ${webhook.id}`);
    expect((await keys(["webhooks", "get", webhook.id])).stderr).toContain("not_found");
  });

  it("sends a Cloudflare Access service token when one is set", async () => {
    // A stand-in for Access in front of the admin API: it notes the headers and answers 404.
    const seen: IncomingHttpHeaders[] = [];
    const access = createServer((req, res) => {
      seen.push(req.headers);
      res.writeHead(404, { "content-type": "application/problem+json" }).end('{"code":"not_found","status":404}');
    });
    await new Promise<void>((resolve) => access.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(access.address() as AddressInfo).port}`;
    try {
      const env = { GATEWAY_ADMIN_TOKEN: TOKEN, CF_ACCESS_CLIENT_ID: "id.access", CF_ACCESS_CLIENT_SECRET: "access-secret" };
      const failed = await keysInProcess(["--url", url, "get", "key_x"], env);
      expect(failed.code).toBe(1);
      expect(failed.stderr).toContain("not_found");
    } finally {
      access.close();
    }
    expect(seen[0]).toMatchObject({
      "cf-access-client-id": "id.access",
      "cf-access-client-secret": "access-secret",
      authorization: `Bearer ${TOKEN}`,
    });
  });
});

// What only a real process shows: its exit code, Node's colour decision for a pipe, and the entry's wiring.
describe("node scripts/keys.ts", () => {
  it("colours only for a terminal: plain into a pipe, and with NO_COLOR; exits 1 on an API error", async () => {
    const piped = await keysSpawned(["get", "key_nope"]);
    expect(piped.code).toBe(1);
    expect(piped.stderr).toMatch(/^error: not_found: /);
    expect(piped.stderr).not.toContain("\x1b[");
    // FORCE_COLOR stands in for a terminal here: the same call is coloured.
    const forced = await keysSpawned(["get", "key_nope"], { FORCE_COLOR: "1" });
    expect(forced.code).toBe(1);
    expect(forced.stderr).toContain("\x1b[31merror:");
    const list = await keysSpawned(["list", "--limit", "1"], { NO_COLOR: "1" });
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/id\s+name\s+owner/);
    expect(list.stdout).not.toContain("\x1b[");
  });

  it("prints help and --version, and exits 2 on a usage mistake", async () => {
    const help = await keysSpawned(["help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("operators create");
    const version = await keysSpawned(["--version"]);
    expect(version.stdout.trim()).toBe((JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version);
    const unknown = await keysSpawned(["frobnicate"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.trim()).toBe("error: unknown command frobnicate (npm run keys -- help)");
  });

  it("creates a key that works through the proxy, and lists it", async () => {
    const owner = `spawned-${Date.now()}`;
    const created = await keysSpawned(["create", "--name", "spawned", "--owner", owner]);
    expect(created.code, created.stderr).toBe(0);
    const key = /^key: (\S+)$/m.exec(created.stdout)?.[1] ?? "";
    expect((await callApi(key)).status).toBe(200);
    const id = /^id\s+(\S+)/m.exec(created.stdout)?.[1] ?? "";
    const list = await keysSpawned(["list", "--owner", owner]);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`${id}\\s+spawned\\s+${owner}\\s+\\S+…\\s+active`));
  });
});
