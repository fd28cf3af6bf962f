import { describe, expect, it } from 'vitest';
import { loadOncePerMessage } from '../../src/api/graphql/sharedLoad.ts';

describe('one load per message and selection', () => {
  it('shares a load among the subscribers of one message, per selection', async () => {
    let loads = 0;
    const load = async () => ({ n: ++loads });
    const message = { attemptId: 'att_1' };
    const query = { select: { id: true } };
    const results = await Promise.all(Array.from({ length: 200 }, () => loadOncePerMessage(message, { ...query }, load)));
    expect(loads).toBe(1);
    expect(new Set(results.map((r) => r.n))).toEqual(new Set([1]));
    // Another selection, or the next message (even about the same row), is loaded afresh.
    await loadOncePerMessage(message, { select: { id: true, url: true } }, load);
    await loadOncePerMessage({ attemptId: 'att_1' }, query, load);
    expect(loads).toBe(3);
  });
});
