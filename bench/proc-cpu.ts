// CPU time of processes from /proc (Linux only): user + system time of every thread of a process.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

const CLOCK_TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

interface ProcStat {
  comm: string;
  ppid: number;
  cpuMs: number;
}

function readStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // comm is in parentheses and may hold spaces: split the rest after the last ")".
  const close = text.lastIndexOf(")");
  const comm = text.slice(text.indexOf("(") + 1, close);
  const fields = text.slice(close + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
  return { comm, ppid: Number(fields[1]), cpuMs: (ticks * 1000) / CLOCK_TICKS_PER_SECOND };
}

/** Milliseconds of CPU the process has used so far; NaN if it cannot be read. */
export function processCpuMs(pid: number): number {
  return readStat(pid)?.cpuMs ?? NaN;
}

/** Pids of this process's direct children whose command name is `comm` (e.g. the workerd miniflare spawned). */
export function childPids(comm: string, parent = process.pid): number[] {
  if (process.platform !== "linux") return [];
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => {
      const stat = readStat(pid);
      return stat?.comm === comm && stat.ppid === parent;
    });
}

/** Starts something that spawns one `comm` child and returns it with that child's pid. */
export async function withNewChild<T>(comm: string, start: () => Promise<T>): Promise<{ value: T; pid: number | undefined }> {
  const before = new Set(childPids(comm));
  const value = await start();
  const pid = childPids(comm).find((p) => !before.has(p));
  return { value, pid };
}
