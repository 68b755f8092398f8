// Reads the shell examples (```sh, ```bash, ```shell, ```console blocks) of a markdown page into
// commands with the output written under them, for test/e2e/docs-examples.test.ts. The conventions
// (skip annotations, expected output, placeholders) are in test/README.md § Docs examples.

interface Expectation {
  /** The HTTP status the page shows for the command (a trailing "# 204", "# → 201 {…}", "HTTP/1.1 429 …"). */
  status?: number;
  /** Field names the page shows in the answer ({items, nextCursor}, "id": …): each must be a key of the JSON answer. */
  fields: string[];
  /** "name": "literal" pairs the page shows (no "…" in the value): some object of the answer has it. */
  values: [string, string][];
  /** "#   " lines: each must match the output ("…" is anything, case ignored). */
  lines: string[];
}

export interface Step {
  command: string;
  /** 1-based line of the page where the command starts. */
  line: number;
  expect: Expectation;
}

export interface ShellBlock {
  file: string;
  line: number;
  /** The reason given by `<!-- docs-test: skip — reason -->` right before the block. */
  skip?: string;
  steps: Step[];
}

const FENCE = /^(\s*)```(sh|bash|shell|console)\s*$/;
const ANNOTATION = /^<!--\s*docs-test:\s*(.*?)\s*-->$/;
const SKIP = /^skip\s*[—–-]+\s*(\S.*)$/;

/** Every shell block of a page, in order. An annotation that is not `skip — <reason>` is an error. */
export function shellBlocks(file: string, text: string): ShellBlock[] {
  const lines = text.split("\n");
  const blocks: ShellBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = lines[i]?.match(FENCE);
    if (!open) {
      if (/^\s*```/.test(lines[i] ?? "")) i = closingFence(lines, i);
      continue;
    }
    const indent = open[1]?.length ?? 0;
    const end = closingFence(lines, i);
    let before = i - 1;
    while (before >= 0 && !lines[before]?.trim()) before--;
    const annotation = lines[before]?.trim().match(ANNOTATION)?.[1];
    let skip: string | undefined;
    if (annotation !== undefined) {
      skip = annotation.match(SKIP)?.[1];
      if (!skip) throw new Error(`${file}:${before + 1}: a docs-test annotation is "skip — <reason>", not "${annotation}"`);
    }
    let body = lines.slice(i + 1, end).map((line) => line.slice(Math.min(indent, line.length - line.trimStart().length)));
    // A console block: "$ " starts a command, the lines under it are its output.
    if (open[2] === "console") body = body.map((line) => (line.startsWith("$ ") ? line.slice(2) : line.trim() ? `#   ${line}` : line));
    blocks.push({ file, line: i + 1, skip, steps: skip ? [] : steps(body, i + 2) });
    i = end;
  }
  return blocks;
}

function closingFence(lines: string[], open: number): number {
  for (let j = open + 1; j < lines.length; j++) if (/^\s*```\s*$/.test(lines[j] ?? "")) return j;
  throw new Error(`unclosed code block at line ${open + 1}`);
}

type Quote = "" | "'" | '"';

/** Where a line's comment starts (outside quotes), and the quote still open at its end. */
function scan(line: string, quote: Quote): { comment: number | undefined; quote: Quote } {
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quote === "'") {
      if (ch === "'") quote = "";
    } else if (quote === '"') {
      if (ch === "\\") i++;
      else if (ch === '"') quote = "";
    } else if (ch === "'" || ch === '"') quote = ch;
    else if (ch === "\\") i++;
    else if (ch === "#" && (i === 0 || /\s/.test(line[i - 1] ?? ""))) return { comment: i, quote };
  }
  return { comment: undefined, quote };
}

/** Commands (continuation lines and multi-line quotes joined) with what the page shows of their output. */
function steps(body: string[], firstLine: number): Step[] {
  const result: Step[] = [];
  let pending: Step | undefined;
  let quote: Quote = "";
  /** The step whose output the next comment lines describe: the one right above, with no blank line between. */
  let last: Step | undefined;
  /** An expected JSON answer whose braces are still open on the next comment line. */
  let openJson = "";
  body.forEach((line, index) => {
    if (pending) {
      const scanned = scan(line, quote);
      quote = scanned.quote;
      const code = scanned.comment === undefined ? line : line.slice(0, scanned.comment).trimEnd();
      pending.command += `\n${code}`;
      if (quote || code.endsWith("\\")) return;
      if (scanned.comment !== undefined) readComment(line.slice(scanned.comment), pending.expect);
      result.push(pending);
      last = pending;
      pending = undefined;
      return;
    }
    const trimmed = line.trim();
    if (!trimmed) {
      last = undefined;
      openJson = "";
      return;
    }
    if (trimmed.startsWith("#")) {
      if (!last) return;
      if (openJson) {
        openJson += ` ${trimmed.replace(/^#\s*/, "")}`;
        if (balanced(openJson)) {
          readShown(openJson, last.expect);
          openJson = "";
        }
      } else if (/^#\s*(→|\d{3}\b)/.test(trimmed)) {
        const shown = trimmed.replace(/^#\s*/, "");
        if (balanced(shown)) readShown(shown, last.expect);
        else openJson = shown;
      } else if (/^#\s{3}/.test(trimmed)) {
        const shownLine = trimmed
          .replace(/^#\s{3}/, "")
          .replace(/\s{3,}\(.*\)$/, "")
          .trim();
        last.expect.lines.push(shownLine);
        const status = shownLine.match(/^HTTP\/[\d.]+ (\d{3})\b/)?.[1];
        if (status) last.expect.status = Number(status);
      } else last = undefined;
      return;
    }
    const scanned = scan(line, "");
    quote = scanned.quote;
    const code = scanned.comment === undefined ? line : line.slice(0, scanned.comment).trimEnd();
    const step: Step = { command: code, line: firstLine + index, expect: { fields: [], values: [], lines: [] } };
    if (quote || code.endsWith("\\")) {
      pending = step;
      return;
    }
    if (scanned.comment !== undefined) readComment(line.slice(scanned.comment), step.expect);
    result.push(step);
    last = step;
  });
  if (pending) throw new Error(`line ${pending.line}: a command that never ends (open quote or trailing \\)`);
  return result;
}

/** A trailing comment is output when it starts with a status or a JSON shape; anything else is a remark. */
function readComment(comment: string, expect: Expectation): void {
  const text = comment.replace(/^#\s*/, "");
  if (/^(→\s*)?(\d{3}\b|\{)/.test(text)) readShown(text, expect);
}

/** "→ 201 {"id": "idt_…", …}", "204, or 409 while …", "{items, nextCursor}; also …". */
function readShown(shown: string, expect: Expectation): void {
  const text = shown.replace(/^→\s*/, "");
  const status = text.match(/^(\d{3})\b/)?.[1];
  if (status) expect.status = Number(status);
  const from = text.indexOf("{");
  if (from < 0 || (status && from > text.indexOf(status) + 5)) return;
  const json = braced(text.slice(from));
  for (const match of json.matchAll(/"([A-Za-z_]\w*)"\s*:/g)) expect.fields.push(match[1] as string);
  for (const match of json.matchAll(/[{,]\s*([A-Za-z_]\w*)\s*(?=[,}:])/g)) expect.fields.push(match[1] as string);
  for (const match of json.matchAll(/"([A-Za-z_]\w*)"\s*:\s*"([^"…]*)"/g)) expect.values.push([match[1] as string, match[2] as string]);
}

function balanced(text: string): boolean {
  const from = text.indexOf("{");
  return from < 0 || braced(text.slice(from)).endsWith("}");
}

/** The text up to the brace that closes the first one (all of it if none does). */
function braced(text: string): string {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "{") depth++;
    else if (text[i] === "}" && --depth === 0) return text.slice(0, i + 1);
  }
  return text;
}

/** A shown output line as a pattern: "…" is anything, letters in any case. */
export function shownPattern(line: string): RegExp {
  return new RegExp(
    line
      .split("…")
      .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
      .join(".*"),
    "i",
  );
}

/** Every key of a JSON value, at any depth. */
export function keysOf(value: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const item of value) keysOf(item, into);
  else if (value && typeof value === "object") {
    for (const [key, inner] of Object.entries(value)) {
      into.add(key);
      keysOf(inner, into);
    }
  }
  return into;
}

/** Whether some object in a JSON value has `key` equal to the string `expected`. */
export function hasValue(value: unknown, key: string, expected: string): boolean {
  if (Array.isArray(value)) return value.some((item) => hasValue(item, key, expected));
  if (!value || typeof value !== "object") return false;
  const record = value as Record<string, unknown>;
  return record[key] === expected || Object.values(record).some((inner) => hasValue(inner, key, expected));
}
