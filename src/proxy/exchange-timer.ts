// A forwarded request's clocks and body cap (docs/routes.md § Timeouts): the upstream's `timeoutMs` and the client's
// CLIENT_BODY_TIMEOUT_MS are timed apart, so each timeout is blamed on the side that held the exchange up.
/** Why a forwarded request was cut short; each is also the error code the client gets. */
export type ExchangeCut = "payload_too_large" | "request_timeout" | "upstream_timeout";

/**
 * Times one forwarded request by who it is waiting on. The upstream gets `upstreamMs` each time it
 * holds the exchange up (connecting, not taking the next body chunk, from the body's end to its
 * response headers); the client gets `clientIdleMs` to send each body chunk. Whoever runs out, or
 * a body past its cap, aborts the upstream fetch, and `cut` says why.
 */
export class ExchangeTimer {
  readonly abort = new AbortController();
  cut: ExchangeCut | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #answered = false;

  constructor(
    private readonly upstreamMs: number,
    private readonly clientIdleMs: number,
  ) {}

  waitOnUpstream(): void {
    this.#start(this.upstreamMs, "upstream_timeout");
  }

  waitOnClient(): void {
    this.#start(this.clientIdleMs, "request_timeout");
  }

  /** Aborts the upstream fetch for `cut`, unless the upstream has already answered. */
  stop(cut: ExchangeCut): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    if (this.#answered || this.cut) return;
    this.cut = cut;
    this.abort.abort();
  }

  /** The upstream answered (or failed): nothing is timed any more, the response streams on its own. */
  settle(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#answered = true;
  }

  #start(ms: number, cut: ExchangeCut): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    if (!this.#answered && !this.cut) this.#timer = setTimeout(() => this.stop(cut), ms);
  }
}

/** What `answerWithin` gives when the upstream did not answer in time. */
export const TIMED_OUT = Symbol("timed out");

/**
 * The upstream's answer to a request without a body, or TIMED_OUT after `ms`. Cheaper per request
 * than ExchangeTimer: no AbortController, and the timer is never cleared (the request's end drops
 * it; firing later, it settles a race already decided). A timed-out fetch is dropped with the request.
 */
export function answerWithin(answer: Promise<Response>, ms: number): Promise<Response | typeof TIMED_OUT> {
  return Promise.race([answer, new Promise<typeof TIMED_OUT>((resolve) => setTimeout(() => resolve(TIMED_OUT), ms))]);
}

/** The pump's one buffer: each read lands in it, reused once the upstream has taken the chunk. */
const CHUNK_BYTES = 64 * 1024;

/**
 * The client's body as a native stream for the upstream fetch: `length` bytes if the client gave a
 * Content-Length (so the upstream gets it unchunked), else chunked and capped at `maxBytes`.
 */
export function timedBody(
  body: ReadableStream<Uint8Array>,
  timer: ExchangeTimer,
  { length, maxBytes }: { length: number | undefined; maxBytes: number | undefined },
): ReadableStream<Uint8Array> {
  const pipe = length === undefined ? new IdentityTransformStream() : new FixedLengthStream(length);
  void pump(body, pipe.writable, timer, maxBytes);
  return pipe.readable;
}

interface ChunkSource {
  read(): Promise<ReadableStreamReadResult<Uint8Array>>;
  cancel(reason?: unknown): Promise<void>;
}

/**
 * Reads into one reused buffer where the stream allows it (the runtime's own request bodies): a
 * buffer per chunk would leave the whole body as garbage in the isolate's heap until the next
 * collection. A stream made in JavaScript (a test's, another worker's) hands over its own chunks.
 */
function chunkSource(body: ReadableStream<Uint8Array>): ChunkSource {
  let byob: ReadableStreamBYOBReader;
  try {
    byob = body.getReader({ mode: "byob" });
  } catch {
    const reader = body.getReader();
    return { read: () => reader.read(), cancel: (reason) => reader.cancel(reason) };
  }
  let buffer = new ArrayBuffer(CHUNK_BYTES);
  return {
    async read() {
      const result = await byob.read(new Uint8Array(buffer));
      if (result.value) buffer = result.value.buffer; // the read transferred it: the next read reuses it
      return result;
    },
    cancel: (reason) => byob.cancel(reason),
  };
}

/**
 * Copies the body into `sink`, telling `timer` whether the exchange waits on the client (a read
 * pending) or on the upstream (a write pending, or the body done). Past `maxBytes` it stops the
 * exchange rather than erroring the stream, which workerd would report as an uncaught rejection
 * (and a closed one would send the upstream a truncated body).
 */
async function pump(body: ReadableStream<Uint8Array>, sink: WritableStream, timer: ExchangeTimer, maxBytes: number | undefined) {
  const writer = sink.getWriter();
  const source = chunkSource(body);
  // However the exchange is cut, a read still waiting on the client is let go.
  timer.abort.signal.addEventListener("abort", () => void source.cancel().catch(() => {}), { once: true });
  let seen = 0;
  try {
    for (;;) {
      timer.waitOnClient();
      const { done, value } = await source.read();
      timer.waitOnUpstream();
      if (done) return await writer.close();
      seen += value.byteLength;
      if (maxBytes !== undefined && seen > maxBytes) {
        timer.stop("payload_too_large");
        return await source.cancel();
      }
      await writer.write(value); // resolves once the upstream side has taken the bytes
    }
  } catch (error) {
    // The client went away or the upstream fetch ended: the other side learns it, nothing is left pending.
    await Promise.allSettled([writer.abort(error), source.cancel(error)]);
  }
}
