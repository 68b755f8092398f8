// How the docs test reads a page's shell blocks (test/e2e/support/shell-examples.ts; conventions in
// test/README.md § Docs examples).
import { describe, expect, it } from "vitest";
import { shellBlocks, shownPattern } from "../e2e/support/shell-examples.ts";

const page = (...lines: string[]) => lines.join("\n");

describe("reading a page's shell examples", () => {
  it("takes the skip annotation right before a block, with its reason, and refuses any other annotation", () => {
    const blocks = shellBlocks(
      "p.md",
      page("<!-- docs-test: skip — needs a Cloudflare account -->", "", "```sh", "npx wrangler tail", "```", "```bash", "curl -s x", "```"),
    );
    expect(blocks.map((block) => [block.skip, block.steps.length])).toEqual([
      ["needs a Cloudflare account", 0],
      [undefined, 1],
    ]);
    expect(() => shellBlocks("p.md", page("<!-- docs-test: ignore -->", "```sh", "ls", "```"))).toThrow(/p\.md:1/);
  });

  it("joins continuation lines and multi-line quotes, and leaves other fences alone", () => {
    const [block] = shellBlocks(
      "p.md",
      page("```json", '{"a": 1}', "```", "```sh", "curl -sX POST x \\", "  -d '{", '  "name": "#1"', "}'   # 201", "echo done", "```"),
    );
    expect(block?.steps.map((step) => [step.command, step.line, step.expect.status])).toEqual([
      ['curl -sX POST x \\\n  -d \'{\n  "name": "#1"\n}\'', 5, 201],
      ["echo done", 9, undefined],
    ]);
  });

  it("reads shown output: status and fields, continued over comment lines, and '#   ' lines", () => {
    const [block] = shellBlocks(
      "p.md",
      page(
        "```sh",
        "curl -s x",
        '# → 201 {"id": "idt_…", "name": "Acme",',
        '#      "enabled": true, "usage": {buckets, total}}',
        "curl -i y   # the key you copied",
        "#   HTTP/1.1 429 Too Many Requests   (a remark)",
        "",
        "# a remark, not output",
        "curl -s z   # {items, nextCursor}; also ?limit=",
        "```",
      ),
    );
    const [created, limited, listed] = block?.steps ?? [];
    expect(created?.expect).toMatchObject({ status: 201, values: [["name", "Acme"]] });
    expect(created?.expect.fields.sort()).toEqual(["buckets", "enabled", "id", "name", "total", "usage"]);
    expect(limited?.expect).toMatchObject({ status: 429, lines: ["HTTP/1.1 429 Too Many Requests"], fields: [] });
    expect(listed?.expect.fields).toEqual(["items", "nextCursor"]);
  });

  it("reads a console block's '$ ' lines as commands and the rest as their output", () => {
    const [block] = shellBlocks("p.md", page("```console", "$ curl -s /health", '{"status":"ok"}', "```"));
    expect(block?.steps).toEqual([{ command: "curl -s /health", line: 2, expect: { fields: [], values: [], lines: ['{"status":"ok"}'] } }]);
  });

  it("matches a shown line with '…' standing for anything, in any case", () => {
    expect('ratelimit: "minute";r=2;t=60').toMatch(shownPattern('RateLimit: "minute";r=…;t=60'));
    expect("Retry-After: 60").not.toMatch(shownPattern("Retry-After: 59"));
  });
});
