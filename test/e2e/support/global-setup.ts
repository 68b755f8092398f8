import type { TestProject } from "vitest/node";
import { buildWorker } from "../../../scripts/build.ts";

/** Builds the worker as `wrangler deploy` would (its [build] builds the assets too), once for every e2e file. */
export default function setup(project: TestProject) {
  project.provide("gatewayScript", buildWorker());
}
