// `node bench/update-readme.ts`: regenerates README.md's performance section from bench/results/latest.json.
import { updateReadme } from "./report/readme.ts";
import { readLatest } from "./results.ts";

updateReadme(readLatest());
console.log("README.md performance section updated from bench/results/latest.json");
