// `node bench/update-readme.ts`: regenerates docs/performance.md's tables and README.md's headline
// figures (and its edge model table) from bench/results/*.json, without measuring anything.
import { updatePerformanceDoc } from "./report/performance-doc.ts";
import { updateReadme, updateReadmeEdge } from "./report/readme.ts";
import { readLatest } from "./results.ts";

updatePerformanceDoc();
const latest = readLatest();
const readme = latest !== undefined && updateReadme(latest);
const edge = updateReadmeEdge();
console.log(
  `docs/performance.md regenerated${readme ? ", README.md headline figures too" : "; README.md left alone (no bench markers or no current latest.json)"}` +
    (edge ? "; README.md's edge model table too" : ""),
);
