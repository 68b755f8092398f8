// Several middleware run as one Hono handler (the proxy path, src/index.ts): Hono's dispatch costs an async frame, a
// promise and a closure per handler per request; a chain of plain calls costs one closure per step (docs/performance.md).
import type { Context, MiddlewareHandler, Next } from "hono";

/** Any middleware or handler, whatever context variables it declares (the app's wiring checks none either). */
type Step = (c: never, next: Next) => unknown;

/**
 * The middleware in order as one; the last may be the handler that answers. Errors are not caught between
 * them: Hono renders a step's error at the chain, so a middleware that reads `c.error` or the error's response
 * after `next()` (usage, CORS) must sit in front of the chain, not inside it.
 */
export function chain(...steps: Step[]): MiddlewareHandler {
  const calls = steps as ((c: Context, next: Next) => Promise<void>)[];
  return function chained(c, next) {
    const step = (i: number): Promise<void> => (i === calls.length ? next() : calls[i]!(c, () => step(i + 1)));
    return step(0);
  };
}
