import type { Logger } from 'pino';
import type { Broadcaster } from '../src/core/broadcaster.ts';
import type { Sql } from '../src/core/db/sql.ts';
import {
  circuitMove,
  streakMayDisable,
  type CircuitSettings,
  type CircuitSnapshot,
  type CircuitState,
  type CircuitView,
} from '../src/core/delivery/circuit.ts';
import type { DeliveryQueue, DeliveryRef } from '../src/core/queue/deliveryQueue.ts';
import { requeueOpenDeliveries } from '../src/core/queue/requeue.ts';
import { announceStatus } from '../src/core/webhookStatus.ts';

export interface CircuitBreakerDeps {
  sql: Sql;
  broadcaster: Broadcaster;
  queue: Pick<DeliveryQueue, 'enqueueAttempts' | 'bringForward'>;
  logger: Logger;
  settings: CircuitSettings;
  /** How long a worker's lease on a delivery lasts (a probe's worker may die; see claimProbe). */
  leaseMs: number;
  /** The endpoint's deliveries are held until about then: give back what this process has claimed or queued. */
  onHold(webhookId: string, untilMs: number): void;
  /** The endpoint's circuit closed: what this process claims for it may go again. */
  onRelease(webhookId: string): void;
}

export interface CircuitBreaker {
  /** After an attempt is recorded: opens, reopens or closes the endpoint's circuit as the rules say. */
  afterAttempt(
    attempt: { deliveryId: string; webhookId: string; succeeded: boolean },
    recorded: { failureStreak: number; circuit: CircuitView | null },
  ): Promise<void>;
  /** Makes this delivery its open circuit's one probe, unless another worker's is under way. */
  claimProbe(ref: DeliveryRef): Promise<boolean>;
  /** Whether the failure streak may auto-disable the webhook now (see streakMayDisable). */
  streakMayDisable(attempt: { deliveryId: string; failureStreak: number }, circuit: CircuitView | null, disableAfterFailures: number): boolean;
}

/** How long this process holds an endpoint back on its own account; then its claims and the row decide. */
const HOLD_RECHECK_MS = 1000;

interface MovedRow {
  project_id: string;
  active: boolean;
  circuit_state: CircuitState;
  opened_ms: number | null;
  next_probe_ms: number | null;
}

const MOVED = `project_id, active, circuit_state,
  (EXTRACT(EPOCH FROM circuit_opened_at) * 1000)::float8 AS opened_ms,
  (EXTRACT(EPOCH FROM circuit_next_probe_at) * 1000)::float8 AS next_probe_ms`;

// Each move is one conditional UPDATE on the webhook row: of workers racing to make the same move,
// one makes it and the others find the row moved on.
const OPEN_SQL = `
UPDATE webhooks
   SET circuit_state = 'OPEN', circuit_opened_at = now()::timestamp, circuit_cooldown_seconds = $2,
       circuit_next_probe_at = now()::timestamp + make_interval(secs => $2), circuit_probe_delivery_id = NULL
 WHERE id = $1 AND circuit_state = $3
   AND (($3 = 'CLOSED' AND consecutive_failures >= $5) OR ($3 = 'HALF_OPEN' AND circuit_probe_delivery_id = $4))
RETURNING ${MOVED}`;

const CLOSE_SQL = `
UPDATE webhooks
   SET circuit_state = 'CLOSED', circuit_opened_at = NULL, circuit_next_probe_at = NULL,
       circuit_cooldown_seconds = NULL, circuit_probe_delivery_id = NULL
 WHERE id = $1 AND circuit_state <> 'CLOSED'
RETURNING ${MOVED}`;

// The probe must be sendable now; the half-open circuit lets it alone through the claim. Should its
// worker die or the claim lose a race, the circuit may pick another probe once the request could
// have timed out and the lease run out twice.
const PROBE_SQL = `
UPDATE webhooks w
   SET circuit_state = 'HALF_OPEN', circuit_probe_delivery_id = d.id,
       circuit_next_probe_at = now()::timestamp + make_interval(secs => w.timeout_seconds + 2 * $3::float8 / 1000)
  FROM deliveries d
 WHERE d.id = $1 AND d.attempt_count = $2 AND w.id = d.webhook_id AND w.active
   AND d.status IN ('PENDING', 'RETRYING') AND (d.lease_until IS NULL OR d.lease_until < now()::timestamp)
   AND (d.next_attempt_at IS NULL OR d.next_attempt_at <= now()::timestamp + interval '1 second')
   AND w.circuit_state <> 'CLOSED' AND w.circuit_next_probe_at <= now()::timestamp
RETURNING w.project_id, w.active, w.circuit_state,
  (EXTRACT(EPOCH FROM w.circuit_opened_at) * 1000)::float8 AS opened_ms,
  (EXTRACT(EPOCH FROM w.circuit_next_probe_at) * 1000)::float8 AS next_probe_ms`;

const snapshot = (r: MovedRow): CircuitSnapshot => ({
  state: r.circuit_state,
  openedAt: r.opened_ms === null ? null : new Date(r.opened_ms).toISOString(),
  nextProbeAt: r.next_probe_ms === null ? null : new Date(r.next_probe_ms).toISOString(),
});

/**
 * The circuit breaker, on the webhook row so that all worker processes agree. A closed circuit costs
 * nothing: its state comes back with the attempt's own recording, and only a failure at the
 * threshold or a success on a circuit that is not closed moves it. Held deliveries keep their state
 * and attempts; their jobs wait for the next probe time, and a closing circuit brings them forward.
 */
export function createCircuitBreaker(deps: CircuitBreakerDeps): CircuitBreaker {
  const announce = (webhookId: string, r: MovedRow) => announceStatus(deps.broadcaster, { id: webhookId, projectId: r.project_id }, r.active, snapshot(r));

  /** Held deliveries flow again: due ones are brought forward, the others keep their retry time. */
  async function releaseHeld(webhookId: string): Promise<void> {
    await requeueOpenDeliveries(
      deps.sql,
      {
        async enqueueAttempts(jobs) {
          const due = jobs.filter((j) => (j.delayMs ?? 0) <= 0);
          await deps.queue.enqueueAttempts(jobs.filter((j) => (j.delayMs ?? 0) > 0));
          for (let i = 0; i < due.length; i += 50) await Promise.all(due.slice(i, i + 50).map((j) => deps.queue.bringForward(j)));
        },
      },
      { webhookId },
    );
  }

  return {
    async afterAttempt(attempt, recorded) {
      const move = circuitMove({ ...attempt, failureStreak: recorded.failureStreak }, recorded.circuit, deps.settings);
      if (!move) {
        // Already open (another worker opened it, or this was an attempt under way meanwhile).
        if (!attempt.succeeded && recorded.circuit && recorded.circuit.state !== 'CLOSED') deps.onHold(attempt.webhookId, Date.now() + HOLD_RECHECK_MS);
        return;
      }
      if (move.to === 'OPEN') {
        // Held here before the row says so, so that nothing this process has parked starts after the
        // circuit opened; what it gives back waits for the cool-down the UPDATE is about to set.
        // (Given back for a second only, every held delivery's job came back at once, and those
        // jobs kept the slots that new events to healthy endpoints wait for.) If the UPDATE loses
        // its race, the deliveries flow again at once, as when a circuit closes.
        deps.onHold(attempt.webhookId, Date.now() + move.cooldownSeconds * 1000);
        const { rows } = await deps.sql.query<MovedRow>(OPEN_SQL, [
          attempt.webhookId,
          move.cooldownSeconds,
          move.from,
          attempt.deliveryId,
          deps.settings.failures,
        ]);
        // From here the row holds the endpoint (claims pass its deliveries over until the probe), and
        // a re-enable through the API, which this process does not hear of, must not find it held here.
        deps.onRelease(attempt.webhookId);
        if (!rows.length) {
          // Another worker opened it first: the row holds. Only a circuit still closed (a success
          // won the race) lets what was handed back go at once.
          const { rows: state } = await deps.sql.query<{ circuit_state: CircuitState }>('SELECT circuit_state FROM webhooks WHERE id = $1', [
            attempt.webhookId,
          ]);
          if (state[0]?.circuit_state === 'CLOSED') await releaseHeld(attempt.webhookId);
          return;
        }
        deps.logger.warn({ webhookId: attempt.webhookId, cooldownSeconds: move.cooldownSeconds }, 'circuit opened');
        announce(attempt.webhookId, rows[0]);
        return;
      }
      const { rows } = await deps.sql.query<MovedRow>(CLOSE_SQL, [attempt.webhookId]);
      if (!rows.length) return;
      deps.logger.info({ webhookId: attempt.webhookId }, 'circuit closed');
      deps.onRelease(attempt.webhookId);
      announce(attempt.webhookId, rows[0]);
      await releaseHeld(attempt.webhookId).catch((err) =>
        deps.logger.warn({ err, webhookId: attempt.webhookId }, 'could not bring held deliveries forward; they come back at their probe time'),
      );
    },

    streakMayDisable: (attempt, circuit, disableAfterFailures) => streakMayDisable(attempt, circuit, disableAfterFailures, deps.settings.failures),

    async claimProbe([deliveryId, webhookId, attemptCount]) {
      const { rows } = await deps.sql.query<MovedRow>(PROBE_SQL, [deliveryId, attemptCount, deps.leaseMs]);
      if (!rows.length) return false;
      deps.logger.info({ webhookId, deliveryId }, 'circuit half-open: probing');
      announce(webhookId, rows[0]);
      return true;
    },
  };
}
