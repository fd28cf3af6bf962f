/**
 * Wall-clock milliseconds with sub-millisecond resolution. Every process of the bench (load generator,
 * receiver, stream clients) stamps with this, so a time taken in one can be compared with another's.
 */
export const now = (): number => performance.timeOrigin + performance.now();

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls `check` every `intervalMs` until it is true or `timeoutMs` passes; resolves to whether it
 * became true. Phases are bounded in time, so running out is a result to report, not an exception.
 */
export async function pollUntil(check: () => boolean | Promise<boolean>, timeoutMs: number, intervalMs = 50, onTick?: () => void): Promise<boolean> {
  const deadline = now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (now() >= deadline) return false;
    onTick?.();
    await sleep(intervalMs);
  }
}
