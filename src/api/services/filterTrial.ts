import { z } from 'zod';
import { requireViewer } from '../auth/access.ts';
import type { Viewer } from '../auth/apiKeys.ts';
import { compileFilter, filterInput } from '../filters/webhookFilter.ts';
import { newId } from '../../core/ids.ts';
import { eventData, eventType, parseInput } from './validation.ts';

export interface TestWebhookFilterInput {
  filter?: unknown;
  type: string;
  data?: unknown;
}

const trialSchema = z.object({ filter: filterInput, type: eventType, data: eventData });

/**
 * Whether a filter would let this event through, as publishing would decide it (same checks, same
 * matcher, a fresh id and the current time as `id` and `timestamp`). Reads and writes nothing.
 */
export function testWebhookFilter(viewer: Viewer | null, input: TestWebhookFilterInput): { matches: boolean } {
  requireViewer(viewer);
  const { filter, type, data } = parseInput(trialSchema, input);
  let failure: unknown;
  const matches = compileFilter(
    filter,
    (err) => (failure = err),
  )({
    id: newId('Event'),
    type,
    timestamp: new Date().toISOString(),
    data: data.value,
  });
  if (failure) throw failure;
  return { matches };
}
