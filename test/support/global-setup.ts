import type { TestProject } from "vitest/node";
import { startEchoUpstream } from "../../dev/echo-upstream.ts";

declare module "vitest" {
  export interface ProvidedContext {
    upstreamUrl: string;
  }
}

/** A real HTTP upstream on loopback for every test file's gateway to proxy to. */
export default async function setup(project: TestProject) {
  const upstream = await startEchoUpstream();
  project.provide("upstreamUrl", upstream.url);
  return () => upstream.close();
}
