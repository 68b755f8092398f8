// `npm run keys -- import FILE.jsonl`: streams a file of any size to POST /_gateway/admin/keys/import
// in batches, one JSON entry per line, with a progress bar on stderr (docs/keys.md § Import).
import { createReadStream, statSync } from "node:fs";
import { createInterface } from "node:readline";
import type { CliStream } from "./keys-cli.ts";

/** The API takes at most this many keys per call. */
export const IMPORT_BATCH_SIZE = 1000;
/** Lines listed under "invalid" in the text summary (--json lists them all). */
const LISTED_INVALID_LINES = 50;

interface ImportReport {
  imported: { index: number; id: string }[];
  duplicates: { index: number; id: string }[];
  invalid: { index: number; detail: string }[];
}

export interface ImportSummary {
  lines: number;
  imported: number;
  duplicates: number;
  invalid: { line: number; detail: string }[];
  seconds: number;
}

export type PostImport = (body: { prefix?: string; keys: unknown[] }) => Promise<ImportReport>;

interface Progress {
  bytes: number;
  totalBytes: number;
  summary: ImportSummary;
}

const count = (n: number) => n.toLocaleString("en-US");

function progressLine({ bytes, totalBytes, summary }: Progress): string {
  const fraction = totalBytes === 0 ? 1 : Math.min(1, bytes / totalBytes);
  const filled = Math.round(fraction * 30);
  const bar = `${"█".repeat(filled)}${"░".repeat(30 - filled)}`;
  return `[${bar}] ${String(Math.floor(fraction * 100)).padStart(3)}%  ${count(summary.lines)} lines · ${count(summary.imported)} imported · ${count(summary.duplicates)} duplicates · ${count(summary.invalid.length)} invalid`;
}

/** Where the progress goes: the CLI's stderr. */
type ProgressStream = Pick<CliStream, "write" | "isTTY">;

/** Redraws the bar in place on a terminal; elsewhere (a pipe, a log) writes a line at most once a second. */
function progressReporter(stream: ProgressStream): (progress: Progress, done?: boolean) => void {
  let lastLineAt = 0;
  return (progress, done = false) => {
    if (stream.isTTY) {
      stream.write(`\r${progressLine(progress)}${done ? "\n" : ""}`);
    } else if (done || Date.now() - lastLineAt >= 1000) {
      lastLineAt = Date.now();
      stream.write(`${progressLine(progress)}\n`);
    }
  };
}

/**
 * Reads the file line by line and posts batches of at most IMPORT_BATCH_SIZE entries, one at a time,
 * so memory stays flat whatever the file's size. A line that is not JSON is reported and not sent.
 */
export async function importKeysFile(
  path: string,
  prefix: string | undefined,
  post: PostImport,
  stderr: ProgressStream,
): Promise<ImportSummary> {
  const started = performance.now();
  const totalBytes = statSync(path).size;
  const summary: ImportSummary = { lines: 0, imported: 0, duplicates: 0, invalid: [], seconds: 0 };
  const report = progressReporter(stderr);
  let bytes = 0;
  let batch: { line: number; entry: unknown }[] = [];

  const send = async () => {
    if (batch.length === 0) return;
    let answer: ImportReport;
    try {
      answer = await post({ ...(prefix !== undefined && { prefix }), keys: batch.map((b) => b.entry) });
    } catch (error) {
      throw new Error(
        `${(error as Error).message}\nstopped at lines ${batch[0]!.line}–${batch.at(-1)!.line}; the lines before are imported, and re-running the file is safe (what is there is reported as duplicates)`,
      );
    }
    summary.imported += answer.imported.length;
    summary.duplicates += answer.duplicates.length;
    for (const { index, detail } of answer.invalid) summary.invalid.push({ line: batch[index]!.line, detail });
    batch = [];
    report({ bytes, totalBytes, summary });
  };

  const lines = createInterface({ input: createReadStream(path, "utf8"), crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of lines) {
    summary.lines++;
    bytes += Buffer.byteLength(line) + 1;
    // A UTF-8 byte order mark (Windows editors write one) is not part of the first entry.
    const text = summary.lines === 1 && line.startsWith("\uFEFF") ? line.slice(1) : line;
    if (text.trim() === "") continue;
    let entry: unknown;
    try {
      entry = JSON.parse(text);
    } catch {
      summary.invalid.push({ line: summary.lines, detail: "not a JSON value" });
      continue;
    }
    batch.push({ line: summary.lines, entry });
    if (batch.length === IMPORT_BATCH_SIZE) await send();
  }
  await send();
  summary.invalid.sort((a, b) => a.line - b.line);
  summary.seconds = Math.round((performance.now() - started) / 100) / 10;
  report({ bytes: totalBytes, totalBytes, summary }, true);
  return summary;
}

export function describeImport(summary: ImportSummary): string {
  const listed = summary.invalid.slice(0, LISTED_INVALID_LINES).map(({ line, detail }) => `  line ${line}: ${detail}`);
  const more =
    summary.invalid.length > LISTED_INVALID_LINES
      ? [`  … and ${count(summary.invalid.length - LISTED_INVALID_LINES)} more (--json lists all)`]
      : [];
  return [
    `imported    ${count(summary.imported)}`,
    `duplicates  ${count(summary.duplicates)}`,
    `invalid     ${count(summary.invalid.length)}`,
    ...listed,
    ...more,
    `${count(summary.lines)} lines in ${summary.seconds} s`,
  ].join("\n");
}
