import type { BenchResults } from "../results.ts";
import { describeRun } from "./markdown.ts";
import { allTables, type Table } from "./tables.ts";

function aligned(table: Table): string {
  const widths = table.headers.map((h, i) => Math.max(h.length, ...table.rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells.map((cell, i) => (table.numeric.includes(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join("  ");
  return [table.title, line(table.headers), widths.map((w) => "-".repeat(w)).join("  "), ...table.rows.map(line)].join("\n");
}

export function terminalReport(results: BenchResults): string {
  return [describeRun(results), ...allTables(results).map(aligned)].join("\n\n");
}
