// The operators' CLI for the e2e files, two ways: in-process (runKeys from scripts/keys-cli.ts with
// captured output, as a pipe: no colour, no terminal), which costs no Node start-up per call; and
// the real `node scripts/keys.ts`, for what only a process shows (its exit code, colour on a
// pipe, the entry's wiring).
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { ROOT } from "../../../scripts/build.ts";
import { type CliStream, runKeys } from "../../../scripts/keys-cli.ts";

const run = promisify(execFile);

export interface CliRun {
  stdout: string;
  stderr: string;
  code: number;
}

/** `npm run keys -- <args>` in this process; `env` is all the environment the CLI sees. */
export async function keysInProcess(args: string[], env: Record<string, string>): Promise<CliRun> {
  const captured = { stdout: "", stderr: "" };
  const pipe = (name: keyof typeof captured): CliStream => ({
    write: (text) => {
      captured[name] += text;
    },
    isTTY: false,
    colour: false,
  });
  const code = await runKeys(args, { stdout: pipe("stdout"), stderr: pipe("stderr"), env });
  return { ...captured, code };
}

/** `node scripts/keys.ts <args>` as a child process with its stdout and stderr on pipes; `env` is added to this process's. */
export async function keysProcess(args: string[], env: Record<string, string>): Promise<CliRun> {
  try {
    const { stdout, stderr } = await run(process.execPath, ["scripts/keys.ts", ...args], { cwd: ROOT, env: { ...process.env, ...env } });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const failed = error as { stdout: string; stderr: string; code: number };
    return { stdout: failed.stdout, stderr: failed.stderr, code: failed.code };
  }
}
