import type { TestProject } from "vitest/node";
import { startEchoUpstream } from "../../dev/echo-upstream.ts";
import { buildAssets } from "../../scripts/build-assets.ts";

/**
 * Once per run, before the workers project's runtime starts: wrangler.toml's [assets] folder must exist
 * when the pool reads it; then a real HTTP upstream on loopback for every test file's gateway to proxy to.
 */
export default async function setup(project: TestProject) {
  await buildAssets();
  const upstream = await startEchoUpstream();
  project.provide("upstreamUrl", upstream.url);
  return () => upstream.close();
}
