// The order of test files in `npm test`: vitest's, with the files known to take longest moved to the front of
// their project, so that none of them starts last and runs alone at the end of its group. Vitest itself puts
// the longest first only from the durations it cached in node_modules/.vite, which a fresh clone (CI) has not:
// there it goes by file size, and local-migrations (25 s, the smallest e2e file) started last.
import { BaseSequencer, type TestSpecification } from "vitest/node";

/** Longest first, from `npm test` runs on 2 cores (per file, 7-27 s). A stale entry only costs order. */
const SLOWEST = [
  "test/e2e/plans.test.ts",
  "test/e2e/webhooks.test.ts",
  "test/e2e/local-migrations.test.ts",
  "test/e2e/dashboard.test.ts",
  "test/e2e/billing-export.test.ts",
  "test/e2e/docs-examples.test.ts",
  "test/e2e/leases.test.ts",
  "test/e2e/changes-everywhere.test.ts",
  "test/e2e/config-check.test.ts",
  "test/e2e/portal.test.ts",
  "test/ratelimit/leases.node.test.ts",
  "test/ratelimit/identities.test.ts",
  "test/ratelimit/route-overrides.test.ts",
  "test/ratelimit/status-leases.test.ts",
  "test/verdict/cold-key-lease.test.ts",
  "test/ratelimit/end-of-life.test.ts",
  "test/ratelimit/limits.test.ts",
];

export class SlowestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const ordered = await super.sort(files);
    // Where each project's files begin in vitest's order (groups first, then projects).
    const projectAt = new Map<string, number>();
    ordered.forEach((file, index) => {
      if (!projectAt.has(file.project.name)) projectAt.set(file.project.name, index);
    });
    const rank = (file: TestSpecification) => {
      const index = SLOWEST.findIndex((path) => file.moduleId.endsWith(`/${path}`));
      return index === -1 ? SLOWEST.length : index;
    };
    // Stable: files not listed keep vitest's order.
    return [...ordered].sort((a, b) => projectAt.get(a.project.name)! - projectAt.get(b.project.name)! || rank(a) - rank(b));
  }
}
