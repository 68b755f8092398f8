// The order files start in (vitest.config.ts `sequence.sequencer`). Vitest's own runs project after
// project; here e2e files, which mostly wait on their gateway's workerd and its timers, alternate with
// workerd and Node files, which keep the two cores busy meanwhile. The fresh-runtime files go first:
// each pays a runtime boot, and at the end they would run with little else beside them.
import { BaseSequencer, type TestSpecification } from "vitest/node";

export default class InterleavingSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    // Within a project: vitest's order (slowest first when it has timings, else largest first).
    const sorted = await super.sort(files);
    const of = (name: string) => sorted.filter((file) => file.project.name === name);
    const waiting = of("e2e");
    const busy = sorted.filter((file) => !["e2e", "workers-isolated"].includes(file.project.name));
    const order = of("workers-isolated");
    while (waiting.length > 0 || busy.length > 0) {
      const next = waiting.shift();
      if (next) order.push(next);
      const other = busy.shift();
      if (other) order.push(other);
    }
    return order;
  }
}
