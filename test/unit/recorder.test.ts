import { describe, expect, it } from 'vitest';
import type { Outcome } from '../../src/core/delivery/outcome.ts';
import { type AttemptRecord, streakChanges } from '../../worker/recorder.ts';

const attempt = (webhookId: string, status: Outcome['status']) =>
  ({ webhookId, outcome: status === 'RETRYING' ? { status, delayMs: 1 } : status === 'FAILED' ? { status, reason: 'x' } : { status } }) as AttemptRecord;

describe('failure streaks of a batch of attempts', () => {
  it.each([
    ['failures only add up', ['RETRYING', 'FAILED'], { reset: false, tail: 2 }],
    ['a success resets', ['RETRYING', 'SUCCEEDED'], { reset: true, tail: 0 }],
    ['failures after the last success count from zero', ['RETRYING', 'SUCCEEDED', 'RETRYING', 'FAILED'], { reset: true, tail: 2 }],
    ['a lone success', ['SUCCEEDED'], { reset: true, tail: 0 }],
  ] as const)('%s', (_what, statuses, expected) => {
    expect(streakChanges(statuses.map((s) => attempt('whk_a', s))).get('whk_a')).toEqual(expected);
  });

  it('keeps webhooks apart', () => {
    const changes = streakChanges([attempt('whk_a', 'RETRYING'), attempt('whk_b', 'SUCCEEDED'), attempt('whk_a', 'FAILED')]);
    expect(Object.fromEntries(changes)).toEqual({ whk_a: { reset: false, tail: 2 }, whk_b: { reset: true, tail: 0 } });
  });
});
