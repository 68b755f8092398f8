// Operators' command line for the gateway's admin API: `npm run keys -- <command> [options]`.
// The entry only: runs scripts/keys-cli.ts on this process's arguments, streams and environment.
// Runs on Node 22 directly (type stripping).
import { processIo, runKeys } from "./keys-cli.ts";

process.exitCode = await runKeys(process.argv.slice(2), processIo());
