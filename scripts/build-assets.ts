// Builds the static files the worker serves under /_gateway/ (wrangler.toml [assets], run by
// wrangler's [build] and the test setup): the operators' dashboard and the customers' portal bundled
// by vite (the portal shares the dashboard's charts, dialogs and styles), and the API
// reference (Scalar's standalone bundle and the script that mounts it).
// Skipped when nothing that goes into it changed, so every caller may run it.
import { copyFileSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./build.ts";
import { files, fingerprint, isBuilt, markBuilt } from "./fingerprint.ts";

export const ASSETS_DIR = join(ROOT, "dist/assets");
const FINGERPRINT = join(ROOT, "dist/assets.fingerprint");
const DASHBOARD_SOURCE = join(ROOT, "dashboard");
const PORTAL_SOURCE = join(ROOT, "portal");
const SCALAR_BUNDLE = join(ROOT, "node_modules/@scalar/api-reference/dist/browser/standalone.js");

export async function buildAssets(): Promise<void> {
  const current = fingerprint([...files(DASHBOARD_SOURCE), ...files(PORTAL_SOURCE), join(ROOT, "scripts/build-assets.ts")]);
  if (isBuilt(ASSETS_DIR, FINGERPRINT, current)) return;
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
    root: PORTAL_SOURCE,
    base: "/_gateway/portal/",
    configFile: false,
    logLevel: "warn",
    publicDir: join(DASHBOARD_SOURCE, "public"),
    build: {
      outDir: join(staging, "_gateway/portal"),
      emptyOutDir: true,
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
  markBuilt(FINGERPRINT, current);
}

if (import.meta.url === `file://${process.argv[1]}`) await buildAssets();
