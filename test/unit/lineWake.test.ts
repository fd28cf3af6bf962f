import { describe, expect, it } from 'vitest';
import { wakeupOf } from '../../src/api/services/publishPlan.ts';

const delivery = (id: string, webhookId: string, inLine: boolean) => ({ id, projectId: 'prj_1', eventId: `evt_${id}`, webhookId, inLine });

describe("a publish batch's wake-up", () => {
  it('names each endpoint once, ordered ones by their lines', () => {
    const wakeup = wakeupOf([
      delivery('a1', 'whk_a', true),
      delivery('u1', 'whk_u', false),
      delivery('a2', 'whk_a', true),
      delivery('b1', 'whk_b', true),
      delivery('u2', 'whk_u', false),
      delivery('v1', 'whk_v', false),
    ]);
    expect(wakeup).toEqual({ webhookIds: ['whk_u', 'whk_v'], lines: ['whk_a', 'whk_b'] });
  });

  it('is empty for a batch without deliveries', () => {
    expect(wakeupOf([])).toEqual({ webhookIds: [], lines: [] });
  });
});
