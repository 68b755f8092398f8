// Every source file says in its first lines what it is for (issue 21): a `/** … */` or `//` comment before its
// first import or statement. Covers the worker (src/) and the pages' scripts (dashboard/, portal/).
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SOURCE_DIRS = ["src", "dashboard", "portal"];

/**
 * TEMPORARY: files other branches of this round are editing, which add their own headers. The lead
 * empties this list at merge; the last test below fails for every entry that has a header (or is gone).
 */
const PENDING_OTHER_BRANCHES: readonly string[] = [];

/** The TypeScript files under the source folders, as repository-relative paths with `/`. */
function sourceFiles(): string[] {
  return SOURCE_DIRS.flatMap((dir) =>
    readdirSync(join(ROOT, dir), { recursive: true, encoding: "utf8" })
      .filter((path) => path.endsWith(".ts") && !path.split(/[\\/]/).includes("node_modules"))
      .map((path) => relative(ROOT, join(ROOT, dir, path)).replaceAll("\\", "/")),
  ).sort();
}

/** Tool directives are comments, but say nothing about the file. */
const DIRECTIVE = /^\/\/\/|^\/\/\s*(biome-ignore|@ts-|eslint)|^\/\*\s*(biome-ignore|@ts-|eslint)/;

/** Whether the source opens with a comment that has words in it, before any import or statement. */
function opensWithHeader(source: string): boolean {
  const text = source.replace(/^\uFEFF/, "").trimStart();
  if (DIRECTIVE.test(text)) return false;
  if (text.startsWith("//")) return /\w/.test(text.split("\n", 1)[0] ?? "");
  if (text.startsWith("/*")) {
    const end = text.indexOf("*/");
    return end !== -1 && /\w/.test(text.slice(2, end));
  }
  return false;
}

describe("source file headers", () => {
  it("recognises a leading comment as a header, and imports, code or a tool directive as none", () => {
    expect(opensWithHeader("/** The admin route that creates a key. */\nimport x from 'y';")).toBe(true);
    expect(opensWithHeader("\n/**\n * Sliding windows.\n */\nexport const A = 1;")).toBe(true);
    expect(opensWithHeader("// The proxy's CORS answers.\n// Second line.\nimport x from 'y';")).toBe(true);
    expect(opensWithHeader("import x from 'y';\n// A comment after the imports.")).toBe(false);
    expect(opensWithHeader("export const A = 1;")).toBe(false);
    expect(opensWithHeader("// biome-ignore lint/x: reason\nimport x from 'y';")).toBe(false);
    expect(opensWithHeader("/** */\nimport x from 'y';")).toBe(false);
    expect(opensWithHeader("")).toBe(false);
  });

  it("finds the source files it checks", () => {
    const files = sourceFiles();
    expect(files).toContain("src/index.ts");
    expect(files).toContain("dashboard/src/main.ts");
    expect(files).toContain("portal/src/main.ts");
  });

  it("every source file starts with a comment saying what it is for", () => {
    const pending = new Set(PENDING_OTHER_BRANCHES);
    const missing = sourceFiles().filter((path) => !pending.has(path) && !opensWithHeader(readFileSync(join(ROOT, path), "utf8")));
    expect(missing, "these files start without a comment saying what they are for").toEqual([]);
  });

  it("PENDING_OTHER_BRANCHES holds only files that still lack a header", () => {
    const files = new Set(sourceFiles());
    const done = PENDING_OTHER_BRANCHES.filter((path) => !files.has(path) || opensWithHeader(readFileSync(join(ROOT, path), "utf8")));
    expect(done, "remove these from PENDING_OTHER_BRANCHES: they have a header now, or are gone").toEqual([]);
  });
});
