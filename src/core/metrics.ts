import { collectDefaultMetrics, Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Outcome } from './delivery/outcome.ts';
import type { SendFailure } from './delivery/sendResult.ts';
import type { Backlog } from './db/backlog.ts';
import { withTimeout } from './withTimeout.ts';

export type AttemptOutcome = Outcome['status'];
export type FailureKind = SendFailure['kind'];

/** What the worker reports after each HTTP attempt; a callback, so the delivery code knows no metrics. */
export type AttemptObserver = (outcome: AttemptOutcome, durationMs: number, failureKind: FailureKind | null) => void;

export type GraphQLOutcome = 'ok' | 'error' | 'invalid';

export interface Metrics {
  registry: Registry;
  observeAttempt: AttemptObserver;
  /**
   * One claim statement's result: how many deliveries it took, and how many of those after another
   * worker's lease on them ran out (it died or froze with them).
   */
  observeClaim(claimed: number, takenOver: number): void;
  /** A worker read the schedule (worker/sweep.ts). */
  observeSweep(): void;
  retentionPurged(kind: 'attempts' | 'payloads', count: number): void;
  graphqlOperation(name: string | null | undefined, type: string, outcome: GraphQLOutcome): void;
  /** Counts what `open` returns in hookpost_websocket_connections at each scrape; the returned function stops it. */
  countWebSockets(open: () => number): () => void;
  /** The Prometheus text exposition of every metric. */
  render(): Promise<{ contentType: string; body: string }>;
}

export interface MetricsOptions {
  /** A registry of this process's own (never prom-client's global one). */
  registry: Registry;
  /** Read at scrape time; left out, the backlog gauges stay empty. */
  backlog?: () => Promise<Backlog>;
  /** Process metrics (CPU, memory, event loop, GC); on by default. */
  processMetrics?: boolean;
}

/** Operation names are chosen by clients: only so many distinct ones become label values. */
const MAX_OPERATION_NAMES = 200;
const OPERATION_NAME = /^[_A-Za-z][_0-9A-Za-z]{0,63}$/;
const BACKLOG_TIMEOUT_MS = 1000;

export function createMetrics({ registry, backlog, processMetrics = true }: MetricsOptions): Metrics {
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
  const claims = new Counter({
    name: 'hookpost_claims_total',
    help: 'Claim statements a worker ran (deliveries claimed per claim: hookpost_claimed_deliveries_total over this)',
    registers,
  });
  const sweeps = new Counter({
    name: 'hookpost_sweeps_total',
    help: 'Times a worker read the schedule in Postgres for due deliveries it was not woken for (at least once per HOOKPOST_POLL_INTERVAL_MS while it lives)',
    registers,
  });
  const claimedDeliveries = new Counter({
    name: 'hookpost_claimed_deliveries_total',
    help: 'Deliveries workers claimed to send',
    registers,
  });
  const takenOver = new Counter({
    name: 'hookpost_deliveries_taken_over_total',
    help: "Deliveries claimed after another worker's lease on them ran out (that worker died, froze or lost Postgres with them in hand)",
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
  // One read of Postgres per scrape serves both gauges (a scrape collects every metric at once).
  let reading: Promise<Backlog | null> | undefined;
  const readOnce = () => {
    if (!backlog) return Promise.resolve(null);
    reading ??= withTimeout(backlog(), BACKLOG_TIMEOUT_MS, 'delivery backlog')
      .catch(() => null)
      .finally(() => {
        reading = undefined;
      });
    return reading;
  };
  new Gauge({
    name: 'hookpost_deliveries_open',
    help: 'Open deliveries by state: due (free to claim now), scheduled (a retry waiting for its time), in_flight (under a worker lease), held (webhook disabled or circuit open)',
    labelNames: ['state'] as const,
    registers,
    async collect() {
      const b = await readOnce();
      // Postgres is not answering: no value is better than a stale one (readiness names the cause).
      if (!b) return this.reset();
      this.set({ state: 'due' }, b.due);
      this.set({ state: 'scheduled' }, b.scheduled);
      this.set({ state: 'in_flight' }, b.inFlight);
      this.set({ state: 'held' }, b.held);
    },
  });
  new Gauge({
    name: 'hookpost_webhooks',
    help: 'Webhooks by state: enabled with their circuit closed, open or half_open, or disabled (a count per state, never a series per webhook; Webhook.circuit says which)',
    labelNames: ['state'] as const,
    registers,
    async collect() {
      const w = (await readOnce())?.webhooks;
      if (!w) return this.reset();
      this.set({ state: 'closed' }, w.closed);
      this.set({ state: 'open' }, w.open);
      this.set({ state: 'half_open' }, w.halfOpen);
      this.set({ state: 'disabled' }, w.disabled);
    },
  });
  new Gauge({
    name: 'hookpost_oldest_due_delivery_age_seconds',
    help: 'How long the oldest due, unclaimed delivery has waited: the lag a receiver feels (0 when none waits, NaN when Postgres does not answer)',
    registers,
    async collect() {
      // Unknown (Postgres not answering) is NaN, never a reassuring 0.
      this.set((await readOnce())?.oldestDueSeconds ?? Number.NaN);
    },
  });

  const webSocketSources = new Set<() => number>();
  new Gauge({
    name: 'hookpost_websocket_connections',
    help: 'GraphQL over WebSocket connections this API process holds (live dashboards and other subscribers; SSE streams are not counted)',
    registers,
    collect() {
      let open = 0;
      for (const source of webSocketSources) open += source();
      this.set(open);
    },
  });

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
    observeClaim(claimed, takenOverCount) {
      claims.inc();
      claimedDeliveries.inc(claimed);
      takenOver.inc(takenOverCount);
    },
    observeSweep: () => sweeps.inc(),
    retentionPurged: (kind, count) => purged.inc({ kind }, count),
    graphqlOperation: (name, type, outcome) => operations.inc({ operation: operationLabel(name), type, outcome }),
    countWebSockets(open) {
      webSocketSources.add(open);
      return () => webSocketSources.delete(open);
    },
    render: async () => ({ contentType: registry.contentType, body: await registry.metrics() }),
  };
}
