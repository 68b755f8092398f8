// The README keeps only a few headline figures between its own markers; the full tables are in
// docs/performance.md. A README without the markers is left alone.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../../scripts/build.ts";
import type { BenchResults } from "../results.ts";
import { edgeReadmeSection } from "./edge.ts";
import { markdownTable } from "./markdown.ts";
import { formatMarkdown, replaceBetweenMarkers } from "./performance-doc.ts";
import { headlineTable } from "./tables.ts";

const README = join(ROOT, "README.md");

export function readmeSection(results: BenchResults): string {
  return [
    markdownTable(headlineTable(results)),
    `From \`${results.command}\` on ${results.generatedAt.slice(0, 10)}, 1-minute load average ${results.loadAverage.start.toFixed(1)} on ` +
      `${results.machine.cores} cores (above ~0.5 other work skews every figure); every table and how it was measured: ` +
      "[docs/performance.md](docs/performance.md).",
  ].join("\n\n");
}

/** Rewrites the headline table in README.md; false if the README has no bench markers. */
export function updateReadme(results: BenchResults, path = README): boolean {
  if (!existsSync(path)) return false;
  const next = replaceBetweenMarkers(readFileSync(path, "utf8"), readmeSection(results));
  if (next === undefined) return false;
  writeFileSync(path, next);
  formatMarkdown(path);
  return true;
}

export const EDGE_START = "<!-- bench:edge:start -->";
export const EDGE_END = "<!-- bench:edge:end -->";

/** Rewrites the edge model's table in README.md (its own markers); false without them or without bench/results/edge.json. */
export function updateReadmeEdge(path = README): boolean {
  const section = edgeReadmeSection();
  if (!existsSync(path) || section === undefined) return false;
  const next = replaceBetweenMarkers(readFileSync(path, "utf8"), section, EDGE_START, EDGE_END);
  if (next === undefined) return false;
  writeFileSync(path, next);
  formatMarkdown(path);
  return true;
}
