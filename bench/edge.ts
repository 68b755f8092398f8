/**
 * `npm run bench:edge`: long-tail traffic at the edge in virtual time, through the gateway's own key
 * cache and lease code and through the peers' designs (bench/edge/); writes bench/results/edge.json
 * (and edge-run.json, how the run was set), prints the table, and regenerates its sections in
 * docs/performance.md and the README.
 */
import { edgeResults, runEdgeModel } from "./edge/model.ts";
import { parseEdgeOptions } from "./edge/options.ts";
import { type EdgeRunInfo, edgeTable } from "./report/edge.ts";
import { markdownTable } from "./report/markdown.ts";
import { updatePerformanceDoc } from "./report/performance-doc.ts";
import { updateReadmeEdge } from "./report/readme.ts";
import { writeResultFile } from "./results.ts";

const argv = process.argv.slice(2);
const { options, write } = parseEdgeOptions(argv);
const started = performance.now();
const { world, designs } = runEdgeModel(options, (d) =>
  console.error(`${d.name}: done after ${((performance.now() - started) / 1000).toFixed(1)} s`),
);
const results = edgeResults(options, designs);
const run: EdgeRunInfo = {
  generatedAt: new Date().toISOString(),
  command: ["npm run bench:edge", ...(argv.length ? ["--", ...argv] : [])].join(" "),
  seconds: (performance.now() - started) / 1000,
  requests: world.times.length,
  isolates: world.isolates.length,
  options,
};
console.log(markdownTable(edgeTable(results)));
console.log(`\n${run.requests.toLocaleString("en-US")} requests, ${run.isolates} isolates, ${run.seconds.toFixed(1)} s`);
if (write) {
  writeResultFile("edge.json", `${JSON.stringify(results, null, 2)}\n`);
  writeResultFile("edge-run.json", `${JSON.stringify(run, null, 2)}\n`);
  updatePerformanceDoc();
  updateReadmeEdge();
}
