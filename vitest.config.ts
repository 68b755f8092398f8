import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { buildAssets } from "./scripts/build-assets.ts";
import { bundleWorker } from "./scripts/build-worker.ts";
import { TEST_OIDC_CLIENT } from "./test/support/global-setup.ts";

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

// wrangler.toml's [assets] folder must exist before the workers pool reads it; the e2e gateway serves it too.
await buildAssets();
// Built once here, so the e2e tests' builds (wrangler's [build], run by each test file at once) find it current.
await bundleWorker();

export default defineConfig({
  test: {
    projects: [
      {
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
          name: "workers",
          include: ["test/**/*.test.ts"],
          exclude: ["test/e2e/**"],
          globalSetup: ["./test/support/global-setup.ts"],
          setupFiles: ["./test/support/apply-migrations.ts", "./test/support/preload-gateway-api.ts"],
        },
      },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          environment: "node",
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
