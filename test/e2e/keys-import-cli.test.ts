// `npm run keys -- import` against the built gateway on a real socket: a 2,000-key file through the CLI,
// in-process; the real `node scripts/keys.ts` once, for the exit code of an import that left lines out.
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { foreignKey, writeImportFile } from "../../dev/import-file.ts";
import type { ImportSummary } from "../../scripts/keys-import.ts";
import { keysInProcess, keysProcess } from "./support/keys-cli.ts";
import { type SharedGateway, sharedGateway, SHARED_ADMIN_TOKEN as TOKEN } from "./support/shared-gateway.ts";

const KEYS = 2000;

let gateway: SharedGateway;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "keys-import-"));
  gateway = await sharedGateway({ isolates: 1, settings: {} });
});

afterAll(async () => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function importFile(file: string, args: string[] = []): Promise<{ summary: ImportSummary; stderr: string; code: number }> {
  const { stdout, stderr, code } = await keysInProcess(["--url", gateway.url, "import", file, "--json", ...args], {
    GATEWAY_ADMIN_TOKEN: TOKEN,
  });
  return { summary: JSON.parse(stdout) as ImportSummary, stderr, code };
}

const callApi = (key: string) => fetch(`${gateway.url}/api/x`, { headers: { authorization: `Bearer ${key}` } });

describe("npm run keys -- import", () => {
  it("imports a 2,000-key file in batches, and a sample of its keys authenticates through the proxy", async () => {
    const file = join(dir, "keys.jsonl");
    const keys = await writeImportFile(file, KEYS, "sk_test");
    // Line 2,001 is blank, 2,002 not JSON, 2,003 lacks a name.
    appendFileSync(file, `\n{not json\n${JSON.stringify({ key: foreignKey("sk_test") })}\n`);

    const { summary, stderr, code } = await importFile(file, ["--prefix", "sk_test"]);
    // The valid lines went in, but a script must notice the two left out.
    expect(code).toBe(1);
    expect(summary).toMatchObject({ lines: KEYS + 3, imported: KEYS, duplicates: 0 });
    expect(summary.invalid).toEqual([
      { line: KEYS + 2, detail: "not a JSON value" },
      { line: KEYS + 3, detail: expect.stringContaining("name") },
    ]);
    expect(stderr).toContain("100%");

    // Every 4th key went in by hash only (index 3, 7, …): the sample holds both kinds.
    for (const index of [0, 3, 999, 1000, 1001, 1503, KEYS - 1]) expect((await callApi(keys[index]!)).status, `key ${index}`).toBe(200);
    expect((await callApi(foreignKey("sk_test"))).status).toBe(401);
  });

  it("accepts a file that starts with a UTF-8 byte order mark (as editors on Windows save it)", async () => {
    const file = join(dir, "bom.jsonl");
    const keys = [foreignKey("sk_bom"), foreignKey("sk_bom")];
    writeFileSync(file, `\uFEFF${keys.map((key, i) => JSON.stringify({ key, name: `bom ${i}` })).join("\n")}\n`);
    const { summary, code } = await importFile(file, ["--prefix", "sk_bom"]);
    expect(summary).toMatchObject({ lines: 2, imported: 2, invalid: [] });
    expect(code).toBe(0);
    expect((await callApi(keys[0]!)).status).toBe(200);
  });

  it("reports a re-run's keys as duplicates and summarises in text", async () => {
    const file = join(dir, "again.jsonl");
    await writeImportFile(file, 10, "sk_again");
    await importFile(file, ["--prefix", "sk_again"]);
    const { stdout, code } = await keysInProcess(["--url", gateway.url, "import", file, "--prefix", "sk_again"], {
      GATEWAY_ADMIN_TOKEN: TOKEN,
    });
    expect(code).toBe(0);
    expect(stdout).toMatch(/imported\s+0\nduplicates\s+10\ninvalid\s+0\n10 lines in/);
  });

  it("stops at a failed call, naming the lines of its batch, with a non-zero exit", async () => {
    const file = join(dir, "refused.jsonl");
    await writeImportFile(file, 3, "sk_refused");
    const failed = await keysInProcess(["--url", gateway.url, "import", file, "--prefix", "sk_refused"], {
      GATEWAY_ADMIN_TOKEN: "wrong-token",
    });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain("invalid_token");
    expect(failed.stderr).toContain("stopped at lines 1–3");
  });
});

describe("node scripts/keys.ts import", () => {
  it("exits 1 when it left a line out, though the rest went in, with its progress on stderr", async () => {
    const file = join(dir, "spawned.jsonl");
    const keys = await writeImportFile(file, 2, "sk_spawned");
    appendFileSync(file, "{not json\n");
    const { stdout, stderr, code } = await keysProcess(["--url", gateway.url, "import", file, "--prefix", "sk_spawned"], {
      GATEWAY_ADMIN_TOKEN: TOKEN,
    });
    expect(code).toBe(1);
    expect(stdout).toMatch(/imported\s+2\nduplicates\s+0\ninvalid\s+1\n\s+line 3: not a JSON value\n3 lines in/);
    expect(stderr).toContain("100%");
    expect((await callApi(keys[0]!)).status).toBe(200);
  });
});
