// `npm run dev`'s migrations (scripts/local-migrations.ts) through the real wrangler: one line of output, the
// whole of wrangler's output only when they fail.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT } from "../../scripts/build.ts";
import { applyLocalMigrations, MigrationError } from "../../scripts/local-migrations.ts";

const state = mkdtempSync(join(tmpdir(), "local-migrations-"));
const env = { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" };
afterAll(() => rmSync(state, { recursive: true, force: true }));

describe("npm run dev's local migrations", () => {
  it("says how many migrations it applied, then that the database is up to date", () => {
    const migrations = readdirSync(join(ROOT, "migrations")).filter((name) => name.endsWith(".sql")).length;
    expect(applyLocalMigrations(env, state)).toBe(`applied ${migrations} migrations`);
    expect(applyLocalMigrations(env, state)).toBe("database up to date");
  });

  it("shows wrangler's whole output when they fail", () => {
    const notADirectory = join(state, "file");
    writeFileSync(notADirectory, "");
    const failure = (() => {
      try {
        applyLocalMigrations(env, notADirectory);
      } catch (error) {
        return error;
      }
    })();
    expect(failure).toBeInstanceOf(MigrationError);
    expect((failure as Error).message).toMatch(/^local D1 migrations failed:\n[\s\S]*wrangler/);
  });
});
