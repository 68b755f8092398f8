// `npm run keys -- plans …` and identities' `--plan` (scripts/cli-plans.ts) against the built gateway on a real socket,
// in-process (the real `node scripts/keys.ts` process: test/e2e/keys-cli.test.ts).
import { beforeAll, describe, expect, it } from "vitest";
import { type CliRun, keysInProcess } from "./support/keys-cli.ts";
import { type SharedGateway, sharedGateway, SHARED_ADMIN_TOKEN as TOKEN } from "./support/shared-gateway.ts";

let gateway: SharedGateway;

beforeAll(async () => {
  gateway = await sharedGateway({ isolates: 1, settings: {} });
});

/** `npm run keys -- --url <gateway> <args>`, in this process. */
const keys = (args: string[]): Promise<CliRun> => keysInProcess(["--url", gateway.url, ...args], { GATEWAY_ADMIN_TOKEN: TOKEN });

const callApi = (key: string) => fetch(`${gateway.url}/api/x`, { headers: { "x-api-key": key } });

describe("npm run keys -- plans", () => {
  it("creates, lists, gets, updates and deletes a plan; identities join it with --plan and leave with --no-plan", async () => {
    const created = await keys([
      "plans",
      "create",
      "--name",
      "Starter",
      "--rate-limit",
      "minute=2/60",
      "--quota",
      "1000/month",
      "--allowed-scope",
      "read",
      "--max-keys",
      "3",
      "--json",
    ]);
    expect(created.code, created.stderr).toBe(0);
    const plan = JSON.parse(created.stdout) as { id: string };
    expect(plan).toMatchObject({
      name: "Starter",
      rateLimits: [{ name: "minute", limit: 2, window: 60 }],
      quota: { limit: 1000, period: "month" },
      allowedScopes: ["read"],
      maxKeys: 3,
    });

    const duplicate = await keys(["plans", "create", "--name", "Starter"]);
    expect(duplicate.code).toBe(1);
    expect(duplicate.stderr).toContain("conflict");

    expect((await keys(["plans", "list"])).stdout).toMatch(new RegExp(`${plan.id}\\s+Starter\\s+minute: 2 per 60s\\s+1000/month\\s+3`));
    expect((await keys(["plans", "get", plan.id])).stdout).toMatch(/allowed scopes\s+read\n\s*max keys\s+3/);

    const identity = await keys(["identities", "create", "--external-id", `cli_${crypto.randomUUID()}`, "--plan", plan.id]);
    expect(identity.code, identity.stderr).toBe(0);
    expect(identity.stdout).toMatch(new RegExp(`plan\\s+${plan.id}`));
    const identityId = /^id\s+(\S+)/m.exec(identity.stdout)?.[1] ?? "";

    // Its keys count against the plan's limit of 2 a minute.
    const key = JSON.parse((await keys(["create", "--name", "on a plan", "--identity", identityId, "--json"])).stdout) as { key: string };
    expect([(await callApi(key.key)).status, (await callApi(key.key)).status, (await callApi(key.key)).status]).toEqual([200, 200, 429]);

    const used = await keys(["plans", "delete", plan.id]);
    expect(used.code).toBe(1);
    expect(used.stderr).toContain("1 identity");

    const updated = await keys(["plans", "update", plan.id, "--no-quota", "--no-allowed-scopes", "--no-max-keys"]);
    expect(updated.stdout).toMatch(/quota\s+-\n\s*allowed scopes\s+any\n\s*max keys\s+no limit/);

    expect((await keys(["identities", "update", identityId, "--no-plan"])).stdout).toMatch(/plan\s+-/);
    expect((await keys(["plans", "delete", plan.id])).stdout).toContain(`deleted ${plan.id}`);
  });

  it("explains bad flags without calling the gateway", async () => {
    const noName = await keys(["plans", "create"]);
    expect(noName.code).toBe(2);
    expect(noName.stderr).toContain("plans create needs --name");
    const badMax = await keys(["plans", "create", "--name", "x", "--max-keys", "lots"]);
    expect(badMax.code).toBe(2);
    expect(badMax.stderr).toContain("--max-keys lots");
    const unknown = await keys(["plans", "frobnicate"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown plans command frobnicate");
  });
});
