// `node bench/update-readme.ts`: regenerates docs/performance.md's tables and README.md's headline
// figures from bench/results/*.json, without measuring anything.
import { updatePerformanceDoc } from "./report/performance-doc.ts";
import { updateReadme } from "./report/readme.ts";
import { readLatest } from "./results.ts";

updatePerformanceDoc();
const readme = updateReadme(readLatest());
console.log(`docs/performance.md regenerated${readme ? ", README.md headline figures too" : "; README.md has no bench markers"}`);
