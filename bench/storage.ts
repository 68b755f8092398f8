// Where miniflare keeps D1 and Durable Object state for the run. Miniflare puts it under
// os.tmpdir(); local workerd commits each DO write with an fsync that blocks its thread, so on a
// slow disk the disk, not the gateway, sets the hot key's ceiling. By default the state goes on
// tmpfs to measure the gateway; `--storage disk` measures with the machine's temp disk instead.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export type StorageKind = "tmpfs" | "disk";

export interface StorageDir {
  kind: StorageKind;
  path: string;
  remove(): void;
}

export function storageDir(kind: StorageKind): StorageDir {
  const base = kind === "tmpfs" && existsSync("/dev/shm") ? "/dev/shm" : tmpdir();
  const path = mkdtempSync(join(base, "gateway-bench-"));
  return { kind: base === "/dev/shm" ? "tmpfs" : "disk", path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Runs `start` with os.tmpdir() pointing into `dir`, which miniflare reads when it is constructed. */
export async function withTmpdir<T>(dir: StorageDir, start: () => Promise<T>): Promise<T> {
  const saved = process.env.TMPDIR;
  process.env.TMPDIR = dir.path;
  try {
    return await start();
  } finally {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
  }
}
