/**
 * Loads something (a module, an app built from it) on first use and shares it with every later caller.
 * A failed load is not kept: the next call tries again, instead of every later request failing alike.
 */
export function lazy<T>(load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | undefined;
  return () => {
    loading ??= load().catch((error: unknown) => {
      loading = undefined;
      throw error;
    });
    return loading;
  };
}
