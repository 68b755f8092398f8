// The docs as a whole: docs/README.md indexes every page, docs/configuration.md names every setting and
// secret the worker reads, links and the code's docs/ references lead somewhere, each page has one title. The pages' shell examples run in
// test/e2e/docs-examples.test.ts.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parse } from "smol-toml";
import { describe, expect, it } from "vitest";
import { settingsSchema } from "../../src/config/schema.ts";
import { ERRORS } from "../../src/errors.ts";

const ROOT = join(import.meta.dirname, "../..");
const read = (path: string) => readFileSync(join(ROOT, path), "utf8");
const pages = readdirSync(join(ROOT, "docs")).filter((name) => name.endsWith(".md"));

/** Every `.ts` file under a folder, recursively. */
function sources(folder: string): string[] {
  return readdirSync(join(ROOT, folder), { recursive: true, encoding: "utf8" })
    .filter((name) => name.endsWith(".ts"))
    .map((name) => join(folder, name));
}

/** The names wrangler.toml binds to D1, objects, datasets and assets: bindings, not settings. */
function bindings(): Set<string> {
  const config = parse(read("wrangler.toml")) as {
    d1_databases?: { binding: string }[];
    durable_objects?: { bindings: { name: string }[] };
    analytics_engine_datasets?: { binding: string }[];
    assets?: { binding?: string };
  };
  return new Set([
    ...(config.d1_databases ?? []).map((database) => database.binding),
    ...(config.durable_objects?.bindings ?? []).map((binding) => binding.name),
    ...(config.analytics_engine_datasets ?? []).map((dataset) => dataset.binding),
    ...(config.assets?.binding ? [config.assets.binding] : []),
  ]);
}

describe("docs pages", () => {
  it("docs/README.md links every page of docs/", () => {
    const index = read("docs/README.md");
    const missing = pages.filter((page) => page !== "README.md" && !index.includes(`](${page})`));
    expect(missing).toEqual([]);
  });

  it("docs/configuration.md names every setting in the schema and every secret the worker reads", () => {
    const bound = bindings();
    const read_ = new Set(Object.keys(settingsSchema.shape));
    for (const file of sources("src")) {
      for (const match of read(file).matchAll(/\benv\.([A-Z][A-Z0-9_]+)\b/g))
        if (!bound.has(match[1] as string)) read_.add(match[1] as string);
    }
    expect(read_.size).toBeGreaterThan(20);
    const configuration = read("docs/configuration.md");
    expect([...read_].filter((name) => !configuration.includes(`\`${name}\``))).toEqual([]);
  });

  it("docs/configuration.md gives each setting the default the schema has", () => {
    const defaults = settingsSchema.parse({ GATEWAY_ROUTES: "[]" }) as Record<string, unknown>;
    const shown = new Map(
      [...read("docs/configuration.md").matchAll(/^\| `([A-Z][A-Z0-9_]+)`[^|]*\|\s*([^|]*?)\s*\|/gm)].map(([, name, cell]) => [name, cell]),
    );
    for (const [name, value] of Object.entries(defaults)) {
      if (name === "GATEWAY_ROUTES") continue;
      const written = typeof value === "string" ? value : JSON.stringify(value);
      expect(shown.get(name), name).toMatch(new RegExp(`^\`${written.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\``));
    }
  });

  it("docs/errors.md lists every error code under the status the gateway answers it with", () => {
    const listed = new Map<string, number>();
    for (const [, status, codes] of read("docs/errors.md").matchAll(/^\| (\d{3})\s+\| (.*)$/gm)) {
      for (const [, code] of (codes as string).matchAll(/`([a-z_]+)`/g))
        if (!listed.has(code as string)) listed.set(code as string, Number(status));
    }
    const expected = Object.fromEntries(Object.entries(ERRORS).map(([code, { status }]) => [code, status]));
    expect(Object.fromEntries(Object.keys(ERRORS).map((code) => [code, listed.get(code)]))).toEqual(expected);
  });

  it("every docs/ page the code names and every relative link of a page exists", () => {
    const missing: string[] = [];
    for (const folder of ["src", "scripts", "dashboard", "portal", "dev", "bench"]) {
      for (const file of readdirSync(join(ROOT, folder), { recursive: true, encoding: "utf8" })) {
        if (!/\.(ts|tsx|html|css)$/.test(file) || file.includes("node_modules")) continue;
        for (const [named] of read(join(folder, file)).matchAll(/\bdocs\/[\w-]+\.md\b/g)) {
          if (!existsSync(join(ROOT, named))) missing.push(`${folder}/${file}: ${named}`);
        }
      }
    }
    for (const page of ["README.md", ...pages.map((name) => `docs/${name}`)]) {
      for (const [, target] of read(page).matchAll(/\]\((?!https?:|#|mailto:)([^)#\s]+)/g)) {
        if (!existsSync(join(ROOT, dirname(page), target as string))) missing.push(`${page}: ${target}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it("every page has exactly one H1 (outside code blocks)", () => {
    for (const page of ["README.md", ...pages.map((name) => `docs/${name}`)]) {
      let fenced = false;
      let titles = 0;
      for (const line of read(page).split("\n")) {
        if (/^\s*```/.test(line)) fenced = !fenced;
        else if (!fenced && line.startsWith("# ")) titles++;
      }
      expect(titles, page).toBe(1);
    }
  });
});
