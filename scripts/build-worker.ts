// Bundles the worker for wrangler (its [build] step; wrangler.toml sets `no_bundle` and uploads what
// this writes): the same esbuild settings wrangler uses, plus code splitting, so that each dynamic
// `import()` in src/ becomes a module of its own. workerd compiles a module when it is first imported:
// a new isolate compiles only the proxy path, and the gateway's own API and zod load with the requests
// that need them (docs/performance.md, "Cold start").
import { existsSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { build, type Plugin } from "esbuild";
import { ROOT } from "./build.ts";
import { files, fingerprint, isBuilt, markBuilt } from "./fingerprint.ts";

const WORKER_DIR = join(ROOT, "dist/worker");
const FINGERPRINT = join(ROOT, "dist/worker.fingerprint");
const NODE_ENV = process.env.NODE_ENV ?? "production";

/**
 * zod's `z.locales`, every language's error messages (about 350 KiB), left out: nothing in src/ switches
 * zod's language, and zod loads its English messages on its own. `z.locales.en` stays.
 */
const zodEnglishOnly: Plugin = {
  name: "zod-english-only",
  setup(build) {
    build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, ({ importer }) =>
      /[\\/]node_modules[\\/]zod[\\/]/.test(importer) ? { path: "zod-locales", namespace: "zod-english-only" } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: "zod-english-only" }, () => ({
      contents: 'export { default as en } from "zod/v4/locales/en.js";',
      resolveDir: ROOT,
    }));
  },
};

export async function bundleWorker(): Promise<void> {
  // esbuild reads tsconfig.json too (class fields, JSX settings).
  const inputs = [...files(join(ROOT, "src")), join(ROOT, "tsconfig.json"), join(ROOT, "scripts/build-worker.ts")];
  const current = fingerprint(inputs) + NODE_ENV;
  if (isBuilt(WORKER_DIR, FINGERPRINT, current)) return;
  // Built beside the uploaded folder, then swapped in: wrangler uploads every module in it, so no
  // chunk of an earlier build may stay, and a reader never sees a half-written tree.
  const staging = `${WORKER_DIR}.${process.pid}`;
  await build({
    absWorkingDir: ROOT,
    entryPoints: ["src/index.ts"],
    outdir: staging,
    bundle: true,
    splitting: true,
    format: "esm",
    // What wrangler.toml's `rules` upload beside the entry, as ES modules.
    chunkNames: "modules/[name]-[hash]",
    outExtension: { ".js": ".mjs" },
    // As wrangler bundles: its target, build conditions and NODE_ENV; `cloudflare:` modules are the runtime's.
    target: "es2024",
    conditions: ["workerd", "worker", "browser"],
    external: ["cloudflare:*"],
    define: { "process.env.NODE_ENV": JSON.stringify(NODE_ENV) },
    sourcemap: true,
    plugins: [zodEnglishOnly],
    logLevel: "warning",
  });
  const previous = `${WORKER_DIR}.old.${process.pid}`;
  rmSync(previous, { recursive: true, force: true });
  if (existsSync(WORKER_DIR)) renameSync(WORKER_DIR, previous);
  renameSync(staging, WORKER_DIR);
  rmSync(previous, { recursive: true, force: true });
  markBuilt(FINGERPRINT, current);
}

if (import.meta.url === `file://${process.argv[1]}`) await bundleWorker();
