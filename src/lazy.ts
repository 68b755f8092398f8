/** A value loaded on first use; `loaded()` gives it without a promise once a load has succeeded. */
export interface Lazy<T> {
  (): Promise<T>;
  loaded(): T | undefined;
}

/**
 * Loads something (a module, an app built from it) on first use and shares it with every later caller.
 * A failed load is not kept: the next call tries again, instead of every later request failing alike.
 */
export function lazy<T>(load: () => Promise<T>): Lazy<T> {
  let loading: Promise<T> | undefined;
  let done: { value: T } | undefined;
  const get = () => {
    loading ??= load().then(
      (value) => {
        done = { value };
        return value;
      },
      (error: unknown) => {
        loading = undefined;
        throw error;
      },
    );
    return loading;
  };
  return Object.assign(get, { loaded: () => done?.value });
}
