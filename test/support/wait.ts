/**
 * The one polling helper: calls `check` every 50 ms until it returns a truthy value, and returns that.
 * `what` names the condition in the timeout error (a function is asked only then, so it can show the
 * last state seen).
 */
export async function waitUntil<T>(check: () => Promise<T> | T, timeoutMs = 15_000, what: string | (() => string) = 'condition'): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'function' ? what() : what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
