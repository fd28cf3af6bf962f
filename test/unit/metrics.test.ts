import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { Backlog } from '../../src/core/db/backlog.ts';
import { createMetrics } from '../../src/core/metrics.ts';
import { parseMetrics, sampleValue } from '../support/metricsText.ts';

const render = async (m: ReturnType<typeof createMetrics>) => parseMetrics((await m.render()).body);

describe('metrics', () => {
  it('keep client-chosen operation names from growing the label set without bound', async () => {
    const m = createMetrics({ registry: new Registry(), processMetrics: false });
    for (let i = 0; i < 250; i++) m.graphqlOperation(`Op${i}`, 'query', 'ok');
    m.graphqlOperation('Op1', 'query', 'ok');
    m.graphqlOperation('not a name!', 'query', 'ok');
    m.graphqlOperation(undefined, 'query', 'error');
    const samples = (await render(m)).filter((s) => s.name === 'hookpost_graphql_operations_total');
    expect(sampleValue(samples, 'hookpost_graphql_operations_total', { operation: 'Op1' })).toBe(2);
    expect(sampleValue(samples, 'hookpost_graphql_operations_total', { operation: 'other' })).toBe(50);
    expect(sampleValue(samples, 'hookpost_graphql_operations_total', { operation: 'anonymous', outcome: 'ok' })).toBe(1);
    expect(sampleValue(samples, 'hookpost_graphql_operations_total', { operation: 'anonymous', outcome: 'error' })).toBe(1);
    expect(new Set(samples.map((s) => s.labels.operation)).size).toBe(202);
  });

  it('show the delivery backlog it can read, and none when Postgres does not answer', async () => {
    let answer: () => Promise<Backlog> = async () => ({
      due: 4,
      scheduled: 2,
      inFlight: 1,
      held: 3,
      oldestDueSeconds: 7.5,
      webhooks: { closed: 9, open: 2, halfOpen: 1, disabled: 5 },
    });
    const m = createMetrics({ registry: new Registry(), processMetrics: false, backlog: () => answer() });
    const first = await render(m);
    expect(['due', 'scheduled', 'in_flight', 'held'].map((state) => sampleValue(first, 'hookpost_deliveries_open', { state }))).toEqual([4, 2, 1, 3]);
    expect(sampleValue(first, 'hookpost_oldest_due_delivery_age_seconds')).toBe(7.5);
    expect(['closed', 'open', 'half_open', 'disabled'].map((state) => sampleValue(first, 'hookpost_webhooks', { state }))).toEqual([9, 2, 1, 5]);
    answer = () => new Promise(() => {});
    const second = await render(m);
    expect(sampleValue(second, 'hookpost_deliveries_open')).toBeUndefined();
    expect(sampleValue(second, 'hookpost_webhooks')).toBeUndefined();
    expect(sampleValue(second, 'hookpost_oldest_due_delivery_age_seconds')).toBeNaN();
  });

  it('count claims, the deliveries they took and those taken over from a lapsed lease', async () => {
    const m = createMetrics({ registry: new Registry(), processMetrics: false });
    m.observeClaim(5, 0);
    m.observeClaim(3, 2);
    const samples = await render(m);
    expect(sampleValue(samples, 'hookpost_claims_total')).toBe(2);
    expect(sampleValue(samples, 'hookpost_claimed_deliveries_total')).toBe(8);
    expect(sampleValue(samples, 'hookpost_deliveries_taken_over_total')).toBe(2);
  });

  it('count an attempt once by outcome and failure, with its duration, and SSRF blocks apart', async () => {
    const m = createMetrics({ registry: new Registry(), processMetrics: false });
    m.observeAttempt('RETRYING', 1500, 'timeout');
    m.observeAttempt('FAILED', 2, 'ssrf_blocked');
    const s = await render(m);
    expect(sampleValue(s, 'hookpost_delivery_attempts_total', { outcome: 'retrying', failure: 'timeout' })).toBe(1);
    expect(sampleValue(s, 'hookpost_ssrf_blocked_total')).toBe(1);
    expect(sampleValue(s, 'hookpost_delivery_attempt_duration_seconds_sum', { outcome: 'retrying' })).toBe(1.5);
    expect(sampleValue(s, 'hookpost_delivery_attempt_duration_seconds_bucket', { outcome: 'retrying', le: '1' })).toBe(0);
    expect(sampleValue(s, 'hookpost_delivery_attempt_duration_seconds_bucket', { outcome: 'retrying', le: '2.5' })).toBe(1);
  });
});
