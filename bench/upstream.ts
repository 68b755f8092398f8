import { type ChildProcess, fork } from "node:child_process";
import { once } from "node:events";

export interface UpstreamProcess {
  url: string;
  pid: number;
  /** Requests the upstream has received since the last reset. */
  received(): Promise<number>;
  reset(): Promise<void>;
  close(): Promise<void>;
}

async function ask<T>(child: ChildProcess, type: string): Promise<T> {
  const answer = new Promise<T>((resolve) => {
    const onMessage = (message: { type: string } & T) => {
      if (message.type !== type) return;
      child.off("message", onMessage);
      resolve(message);
    };
    child.on("message", onMessage);
  });
  child.send({ type });
  return answer;
}

/** Forks bench/upstream-process.ts and waits for its URL. */
export async function startUpstreamProcess(): Promise<UpstreamProcess> {
  const child = fork(new URL("./upstream-process.ts", import.meta.url), { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const [ready] = (await once(child, "message")) as [{ type: string; url: string }];
  return {
    url: ready.url,
    pid: child.pid!,
    received: async () => (await ask<{ count: number }>(child, "count")).count,
    reset: async () => void (await ask(child, "reset")),
    close: async () => {
      const exited = once(child, "exit");
      child.disconnect();
      await exited;
    },
  };
}
