import type { PhaseObserver } from "./load.ts";
import { processCpuMs } from "./proc-cpu.ts";

export interface CpuUse {
  /** The target's workerd process (none for the direct call). */
  workerdMs: number | null;
  upstreamMs: number;
  /** This process: the load generator. */
  loadGeneratorMs: number;
}

export interface CpuMeter extends PhaseObserver {
  used(): CpuUse;
}

/** CPU used by each process between begin() and end(). */
export function cpuMeter(workerdPid: number | undefined, upstreamPid: number): CpuMeter {
  let start = { workerd: 0, upstream: 0, self: process.cpuUsage() };
  let use: CpuUse = { workerdMs: null, upstreamMs: 0, loadGeneratorMs: 0 };
  return {
    begin() {
      start = { workerd: workerdPid ? processCpuMs(workerdPid) : NaN, upstream: processCpuMs(upstreamPid), self: process.cpuUsage() };
    },
    end() {
      const self = process.cpuUsage(start.self);
      use = {
        workerdMs: workerdPid ? processCpuMs(workerdPid) - start.workerd : null,
        upstreamMs: processCpuMs(upstreamPid) - start.upstream,
        loadGeneratorMs: (self.user + self.system) / 1000,
      };
    },
    used: () => use,
  };
}
