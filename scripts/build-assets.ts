// Builds the static files the worker serves under /_gateway/ (wrangler.toml [assets], run by
// wrangler's [build] and the test setup): the operators' dashboard bundled by vite, and the API
// reference (Scalar's standalone bundle and the script that mounts it).
// Skipped when nothing that goes into it changed, so every caller may run it.
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { ROOT } from "./build.ts";

export const ASSETS_DIR = join(ROOT, "dist/assets");
const FINGERPRINT = join(ROOT, "dist/assets.fingerprint");
const DASHBOARD_SOURCE = join(ROOT, "dashboard");
const SCALAR_BUNDLE = join(ROOT, "node_modules/@scalar/api-reference/dist/browser/standalone.js");

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? files(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

/** Everything the built files depend on: the sources, the locked library versions and this script. */
function fingerprint(): string {
  const hash = createHash("sha256");
  const inputs = [...files(DASHBOARD_SOURCE), join(ROOT, "package-lock.json"), join(ROOT, "scripts/build-assets.ts")].sort();
  for (const file of inputs) hash.update(relative(ROOT, file)).update("\0").update(readFileSync(file)).update("\0");
  return hash.digest("hex");
}

export async function buildAssets(): Promise<void> {
  const current = fingerprint();
  if (existsSync(ASSETS_DIR) && existsSync(FINGERPRINT) && readFileSync(FINGERPRINT, "utf8") === current) return;
  const { build } = await import("vite");
  // Built beside the served folder, then swapped in: a reader never sees a half-written tree.
  const staging = `${ASSETS_DIR}.${process.pid}`;
  await build({
    root: DASHBOARD_SOURCE,
    base: "/_gateway/dashboard/",
    configFile: false,
    logLevel: "warn",
    build: {
      outDir: join(staging, "_gateway/dashboard"),
      emptyOutDir: true,
      // Everything as files: the CSP allows no data: URLs.
      assetsInlineLimit: 0,
      reportCompressedSize: false,
    },
  });
  await build({
    root: DASHBOARD_SOURCE,
    configFile: false,
    logLevel: "warn",
    publicDir: false,
    build: {
      outDir: join(staging, "_gateway/docs"),
      emptyOutDir: true,
      reportCompressedSize: false,
      lib: { entry: join(DASHBOARD_SOURCE, "reference.ts"), formats: ["es"], fileName: () => "reference.js", cssFileName: "reference" },
    },
  });
  copyFileSync(SCALAR_BUNDLE, join(staging, "_gateway/docs/scalar.js"));
  rmSync(ASSETS_DIR, { recursive: true, force: true });
  renameSync(staging, ASSETS_DIR);
  writeFileSync(FINGERPRINT, current);
}

if (import.meta.url === `file://${process.argv[1]}`) await buildAssets();
