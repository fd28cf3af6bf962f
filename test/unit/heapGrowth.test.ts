import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

async function peakHeapWith(percent: number): Promise<number> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'test/fixtures/heapChurn.ts', String(percent)]);
  return (JSON.parse(stdout) as { peakBytes: number }).peakBytes;
}

describe('limitHeapGrowth', () => {
  it('keeps the heap of a process that churns promoted garbage well below what V8 lets it reach', async () => {
    const [unlimited, limited] = await Promise.all([peakHeapWith(0), peakHeapWith(20)]);
    // About 170 MB against 120 MB over a 45 MB live set.
    expect(limited).toBeLessThan(unlimited * 0.85);
  });
});
