import { describe, expect, it } from 'vitest';
import { refsToEnqueue } from '../../src/api/services/eventWriter.ts';

const delivery = (id: string, webhookId: string, inLine: boolean) => ({ id, projectId: 'prj_1', eventId: `evt_${id}`, webhookId, inLine });

describe('what a publish job carries', () => {
  it('every delivery outside a line, and only the first new delivery of each line, to wake it', () => {
    const refs = refsToEnqueue([
      delivery('a1', 'whk_a', true),
      delivery('u1', 'whk_u', false),
      delivery('a2', 'whk_a', true),
      delivery('b1', 'whk_b', true),
      delivery('u2', 'whk_u', false),
      delivery('b2', 'whk_b', true),
    ]);
    expect(refs).toEqual([
      ['a1', 'whk_a', 0],
      ['u1', 'whk_u', 0],
      ['b1', 'whk_b', 0],
      ['u2', 'whk_u', 0],
    ]);
  });
});
