import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

/** The churning child's peak used heap as a multiple of its live heap, with the growth limit at `percent`. */
async function peakOverLive(percent: number): Promise<number> {
  const { stdout } = await run(process.execPath, ['--expose-gc', '--import', 'tsx', 'test/fixtures/heapChurn.ts', String(percent)]);
  const { peakBytes, liveBytes } = JSON.parse(stdout) as { peakBytes: number; liveBytes: number };
  return peakBytes / liveBytes;
}

describe('limitHeapGrowth', () => {
  it('keeps the heap of a process that churns promoted garbage near its live set, well below where V8 alone lets it grow', async () => {
    // The bound alone cannot tell the feature from a machine whose load happens to make V8 collect
    // early, so the same churn runs without the limit (0: V8's own choice) at the same time, under
    // the same load, and the limited run must stay clearly below it as well as under the bound.
    const [limited, unlimited] = await Promise.all([peakOverLive(20), peakOverLive(0)]);
    expect(limited).toBeLessThan(2.6);
    expect(limited).toBeLessThan(0.9 * unlimited);
  }, 60_000);
});
