// Lets a build skip itself when nothing that goes into it changed, so that every caller (wrangler's
// [build], the test setup, each end-to-end test) may run it.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { ROOT } from "./build.ts";

export function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? files(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

/** A stamp of what a build's output came from: the files' paths and contents and the locked library versions. */
export function fingerprint(inputs: string[]): string {
  const hash = createHash("sha256");
  for (const file of [...inputs, join(ROOT, "package-lock.json")].sort()) {
    hash.update(relative(ROOT, file)).update("\0").update(readFileSync(file)).update("\0");
  }
  return hash.digest("hex");
}

/** Whether `output` exists and was built from inputs with this stamp (kept in `stampFile`). */
export function isBuilt(output: string, stampFile: string, stamp: string): boolean {
  return existsSync(output) && existsSync(stampFile) && readFileSync(stampFile, "utf8") === stamp;
}

export function markBuilt(stampFile: string, stamp: string): void {
  writeFileSync(stampFile, stamp);
}
