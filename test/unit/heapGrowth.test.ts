import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

async function churn(percent: number): Promise<{ peakBytes: number; liveBytes: number }> {
  const { stdout } = await run(process.execPath, ['--expose-gc', '--import', 'tsx', 'test/fixtures/heapChurn.ts', String(percent)]);
  return JSON.parse(stdout);
}

describe('limitHeapGrowth', () => {
  it('keeps the heap of a process that churns promoted garbage near its live set', async () => {
    // Measured: about 2× the live heap (the rest is the young generation) at 20 %, against about
    // 4.9× when V8 decides (0), which a busy machine sometimes lowers to 2.3×; so only the bound is asserted.
    const { peakBytes, liveBytes } = await churn(20);
    expect(peakBytes).toBeLessThan(2.6 * liveBytes);
  });
});
