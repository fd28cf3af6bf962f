import { builder } from '../builder.ts';

export const RetryPolicyInput = builder.inputType('RetryPolicyInput', {
  description:
    'Either `schedule` alone, or a backoff: `initialDelaySeconds` (+ `backoffMultiplier`, `maxDelaySeconds`) with `maxAttempts`, `windowSeconds` or both',
  fields: (t) => ({
    schedule: t.floatList({ description: 'Seconds to wait after each failed attempt, e.g. [60, 300, 900]' }),
    maxAttempts: t.int(),
    initialDelaySeconds: t.float(),
    backoffMultiplier: t.float({ description: 'Default 2' }),
    maxDelaySeconds: t.float({ description: 'The longest wait between two attempts' }),
    windowSeconds: t.float({
      description: 'Retry while the next attempt still begins within this long after the event was published (e.g. 86400: a 24-hour window), then dead-letter',
    }),
  }),
});
