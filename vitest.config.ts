import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { TEST_OIDC_CLIENT } from "./test/support/global-setup.ts";
import { SlowestFirst } from "./test/support/slowest-first.ts";

export const TEST_ADMIN_TOKEN = "test-admin-token-0123456789abcdef";

/** A second worker behind the `SERVICE_UPSTREAM` binding, for `service:<BINDING>` routes: echoes what it got. */
const SERVICE_UPSTREAM_SCRIPT = `export default {
  async fetch(request) {
    const url = new URL(request.url);
    return Response.json({
      via: "service",
      method: request.method,
      url: request.url,
      path: url.pathname,
      headers: Object.fromEntries(request.headers),
      body: await request.text(),
    });
  },
};`;

/** Property sizes for every project (test/support/properties.ts): a quarter of full size, one seed, unless set. */
const properties = {
  propertyRuns: Number(process.env.PROPERTY_RUNS || 0.25),
  propertySeed: Number(process.env.PROPERTY_SEED || 20_261_203),
};

/**
 * A test's time limit in the workers and node projects (vitest's default is 5 s): on two shared cores a test
 * of 1-2 s can take several times that while other files run (admin/key-usage once timed out at 5 s).
 */
const SLOW_MACHINE_TIMEOUT_MS = 20_000;

/**
 * Every package import (`hono`, `hono/cookie`, `drizzle-orm/d1`, …) of src/ and of the files the workers runtime runs.
 * Vite pre-bundles them once per run, so each runtime loads a few bundled modules instead of fetching hundreds one by
 * one (a runtime's start: about 2.5 s less CPU). All of them, or a package would load twice, its classes unequal.
 */
function workerPackageImports(): string[] {
  const files = ["src", "test"].flatMap((dir) =>
    readdirSync(dir, { recursive: true, encoding: "utf8" })
      .filter((file) => file.endsWith(".ts") && !file.startsWith("e2e") && !file.endsWith(".node.test.ts"))
      .map((file) => join(dir, file)),
  );
  const specifiers = files.flatMap((file) => [...readFileSync(file, "utf8").matchAll(/\bfrom "([^".][^"]*)"/g)].map((match) => match[1]!));
  return [...new Set(specifiers)].filter((specifier) => !/^(node|cloudflare):|^vitest(\/|$)/.test(specifier)).sort();
}
const WORKER_PACKAGE_IMPORTS = workerPackageImports();

// Builds happen in the projects' globalSetups, once per run: loading this file builds nothing.

/**
 * A project whose files run in workerd. `isolate: false` runs its files one after another in one runtime
 * per vitest worker, sharing modules and storage (a workerd per file cost most of the suite's time);
 * files that need a fresh module graph or fresh storage are named `*.isolated.test.ts` (test/README.md).
 */
function workersProject(
  name: string,
  isolate: boolean,
  include: string[],
  exclude: string[],
  group: { order: number; maxWorkers: number },
) {
  return {
    plugins: [
      cloudflareTest(async ({ inject }) => ({
        wrangler: { configPath: "./wrangler.toml" },
        // The source, not wrangler.toml's built entry: vitest bundles it itself.
        main: "./src/index.ts",
        miniflare: {
          bindings: {
            TEST_MIGRATIONS: await readD1Migrations("./migrations"),
            UPSTREAM_URL: inject<string>("upstreamUrl"),
            ADMIN_TOKEN: TEST_ADMIN_TOKEN,
            UPSTREAM_TOKEN: "upstream-secret-token",
            // The customers' portal signs in at the local provider global-setup.ts starts.
            OIDC_ISSUER: inject<string>("oidcIssuer"),
            OIDC_CLIENT_ID: TEST_OIDC_CLIENT.clientId,
            OIDC_CLIENT_SECRET: TEST_OIDC_CLIENT.clientSecret,
            OIDC_MIX_UP_ISSUER: inject<string>("oidcMixUpIssuer"),
          },
          serviceBindings: { SERVICE_UPSTREAM: "service-upstream" },
          workers: [{ name: "service-upstream", modules: true, script: SERVICE_UPSTREAM_SCRIPT, compatibilityDate: "2026-11-01" }],
        },
      })),
    ],
    test: {
      name,
      include,
      exclude: ["test/e2e/**", "test/**/*.node.test.ts", ...exclude],
      isolate,
      testTimeout: SLOW_MACHINE_TIMEOUT_MS,
      deps: { optimizer: { ssr: { enabled: true, include: WORKER_PACKAGE_IMPORTS } } },
      sequence: { groupOrder: group.order },
      maxWorkers: group.maxWorkers,
      provide: properties,
      globalSetup: ["./test/support/global-setup.ts"],
      setupFiles: ["./test/support/apply-migrations.ts", "./test/support/preload-gateway-api.ts"],
    },
  };
}

/**
 * Two groups, one after the other. First the e2e files, three at a time: their gateways, browsers and
 * CLIs keep both cores busy. Then every other file, four at a time: the `workers` files mostly wait on
 * lease TTLs and timers (the cores were three-quarters idle at two at a time), and a `workers` vitest
 * worker keeps its runtime for file after file (npm test on 2 cores: 3 min 24 s, against 3 min 51 s at two).
 */
const first = { order: 0, maxWorkers: 3 };
const later = { order: 1, maxWorkers: 4 };

export default defineConfig({
  test: {
    // Per group below (`first`, `later`); vitest's default would be cores − 1.
    maxWorkers: 2,
    sequence: { sequencer: SlowestFirst },
    projects: [
      workersProject("workers", false, ["test/**/*.test.ts"], ["test/**/*.isolated.test.ts"], later),
      workersProject("workers-isolated", true, ["test/**/*.isolated.test.ts"], [], later),
      {
        // Pure algorithms and simulations: plain Node, no workerd (test/README.md).
        test: {
          name: "node",
          include: ["test/**/*.node.test.ts"],
          exclude: ["test/e2e/**"],
          environment: "node",
          // One Node process runs file after file (no fork per file): these files keep no global state.
          isolate: false,
          testTimeout: SLOW_MACHINE_TIMEOUT_MS,
          sequence: { groupOrder: later.order },
          maxWorkers: later.maxWorkers,
          provide: properties,
        },
      },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          environment: "node",
          // One Node process runs file after file: a fork per file cost about a second each; files
          // leave no global state behind (test/README.md "e2e").
          isolate: false,
          sequence: { groupOrder: first.order },
          maxWorkers: first.maxWorkers,
          globalSetup: ["./test/e2e/support/global-setup.ts"],
          provide: properties,
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
