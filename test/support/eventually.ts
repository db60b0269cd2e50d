/** Polls `read` every 50 ms until `done` holds for its value; throws with the last value after `timeoutMs`. */
export async function eventually<T>(read: () => Promise<T> | T, done: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting; last value: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Polls `check` until it holds; false if it still does not after `timeoutMs` (for `expect(...).toBe(true)`). */
export async function until(check: () => Promise<boolean> | boolean, timeoutMs = 20_000): Promise<boolean> {
  return eventually(check, Boolean, timeoutMs).then(
    () => true,
    () => false,
  );
}
