import { collectDefaultMetrics, Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Outcome } from './delivery/outcome.ts';
import type { SendFailure } from './delivery/sendResult.ts';
import type { QueueDepth } from './queue/deliveryQueue.ts';
import { withTimeout } from './withTimeout.ts';

export type AttemptOutcome = Outcome['status'];
export type FailureKind = SendFailure['kind'];

/** What the worker reports after each HTTP attempt; a callback, so the delivery code knows no metrics. */
export type AttemptObserver = (outcome: AttemptOutcome, durationMs: number, failureKind: FailureKind | null) => void;

export type GraphQLOutcome = 'ok' | 'error' | 'invalid';

export interface Metrics {
  registry: Registry;
  observeAttempt: AttemptObserver;
  reconcilerRequeued(count: number): void;
  retentionPurged(kind: 'attempts' | 'payloads', count: number): void;
  graphqlOperation(name: string | null | undefined, type: string, outcome: GraphQLOutcome): void;
  /** The Prometheus text exposition of every metric. */
  render(): Promise<{ contentType: string; body: string }>;
}

export interface MetricsOptions {
  /** A registry of this process's own (never prom-client's global one). */
  registry: Registry;
  /** Read at scrape time; left out, the queue-depth gauge stays empty. */
  queueDepth?: () => Promise<QueueDepth>;
  /** Process metrics (CPU, memory, event loop, GC); on by default. */
  processMetrics?: boolean;
}

/** Operation names are chosen by clients: only so many distinct ones become label values. */
const MAX_OPERATION_NAMES = 200;
const OPERATION_NAME = /^[_A-Za-z][_0-9A-Za-z]{0,63}$/;
const QUEUE_DEPTH_TIMEOUT_MS = 1000;

export function createMetrics({ registry, queueDepth, processMetrics = true }: MetricsOptions): Metrics {
  const registers = [registry];
  if (processMetrics) collectDefaultMetrics({ register: registry });

  const attempts = new Counter({
    name: 'hookpost_delivery_attempts_total',
    help: 'HTTP delivery attempts by what they led to: succeeded, retrying (another attempt is scheduled) or failed (dead-lettered)',
    labelNames: ['outcome', 'failure'] as const,
    registers,
  });
  const attemptSeconds = new Histogram({
    name: 'hookpost_delivery_attempt_duration_seconds',
    help: 'Duration of HTTP delivery attempts, from connect to the end of the (capped) response body',
    labelNames: ['outcome'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers,
  });
  const ssrfBlocked = new Counter({
    name: 'hookpost_ssrf_blocked_total',
    help: 'Attempts refused because the endpoint resolved to a private, loopback or reserved address',
    registers,
  });
  const requeued = new Counter({
    name: 'hookpost_reconciler_requeued_total',
    help: 'Open deliveries the reconciler found without a queued job (Redis lost it) and queued again',
    registers,
  });
  const purged = new Counter({
    name: 'hookpost_retention_purged_total',
    help: 'Rows removed by retention: attempts deleted, event payloads emptied',
    labelNames: ['kind'] as const,
    registers,
  });
  const operations = new Counter({
    name: 'hookpost_graphql_operations_total',
    help: 'GraphQL operations by name, type and outcome (ok, error: the result carried errors, invalid: refused before execution)',
    labelNames: ['operation', 'type', 'outcome'] as const,
    registers,
  });
  const depth = new Gauge({
    name: 'hookpost_queue_jobs',
    help: 'Delivery jobs in the queue by state (the same queue seen from every process)',
    labelNames: ['state'] as const,
    registers,
    async collect() {
      if (!queueDepth) return;
      try {
        const d = await withTimeout(queueDepth(), QUEUE_DEPTH_TIMEOUT_MS, 'queue depth');
        for (const state of ['waiting', 'delayed', 'active'] as const) this.set({ state }, d[state]);
      } catch {
        // Redis is not answering: no value is better than a stale one (readiness names the cause).
        this.reset();
      }
    },
  });
  void depth;

  const seenNames = new Set<string>();
  const operationLabel = (name: string | null | undefined): string => {
    if (!name || !OPERATION_NAME.test(name)) return 'anonymous';
    if (seenNames.has(name)) return name;
    if (seenNames.size >= MAX_OPERATION_NAMES) return 'other';
    seenNames.add(name);
    return name;
  };

  return {
    registry,
    observeAttempt(outcome, durationMs, failureKind) {
      const label = outcome.toLowerCase();
      attempts.inc({ outcome: label, failure: failureKind ?? 'none' });
      attemptSeconds.observe({ outcome: label }, durationMs / 1000);
      if (failureKind === 'ssrf_blocked') ssrfBlocked.inc();
    },
    reconcilerRequeued: (count) => requeued.inc(count),
    retentionPurged: (kind, count) => purged.inc({ kind }, count),
    graphqlOperation: (name, type, outcome) => operations.inc({ operation: operationLabel(name), type, outcome }),
    render: async () => ({ contentType: registry.contentType, body: await registry.metrics() }),
  };
}
