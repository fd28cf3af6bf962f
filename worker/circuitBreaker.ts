import type { Logger } from 'pino';
import type { Broadcaster } from '../src/core/broadcaster.ts';
import type { Sql } from '../src/core/db/sql.ts';
import {
  type CircuitSettings,
  type CircuitSnapshot,
  type CircuitState,
  type CircuitView,
  circuitMove,
  streakMayDisable,
} from '../src/core/delivery/circuit.ts';
import { announceStatus } from '../src/core/webhookStatus.ts';

export interface CircuitBreakerDeps {
  sql: Sql;
  broadcaster: Broadcaster;
  logger: Logger;
  settings: CircuitSettings;
  /** How long a worker's lease on a delivery lasts (a probe's worker may die; see probeDue). */
  leaseMs: number;
}

/**
 * What an attempt did to its endpoint, for the worker's own deliveries of it: `held` — the circuit
 * is open, send nothing more of it; `released` — it closed, its held deliveries are due again.
 */
export type CircuitVerdict = 'held' | 'released' | null;

export interface CircuitBreaker {
  /** After an attempt is recorded: opens, reopens or closes the endpoint's circuit as the rules say. */
  afterAttempt(
    attempt: { deliveryId: string; webhookId: string; succeeded: boolean },
    recorded: { failureStreak: number; circuit: CircuitView | null },
  ): Promise<CircuitVerdict>;
  /** Makes one due delivery the probe of every open circuit whose cool-down is over; returns their webhooks. */
  probeDue(): Promise<string[]>;
  /** Whether the failure streak may auto-disable the webhook now (see streakMayDisable). */
  streakMayDisable(attempt: { deliveryId: string; failureStreak: number }, circuit: CircuitView | null, disableAfterFailures: number): boolean;
}

interface MovedRow {
  id: string;
  project_id: string;
  active: boolean;
  circuit_state: CircuitState;
  opened_ms: number | null;
  next_probe_ms: number | null;
}

const MOVED = `id, project_id, active, circuit_state,
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

// Each open circuit past its cool-down takes its earliest due delivery as its probe; the claim then
// lets that one alone through (stages/claim.ts). Should the probe's worker die, or nothing claim
// it, the circuit picks a probe again once the request could have timed out and the lease run out
// twice. Workers racing here serialize on the webhook row, and the second finds the time moved on.
const PROBE_SQL = `
UPDATE webhooks w
   SET circuit_state = 'HALF_OPEN', circuit_probe_delivery_id = p.delivery_id,
       circuit_next_probe_at = now()::timestamp + make_interval(secs => w.timeout_seconds + 2 * $1::float8 / 1000)
  FROM (SELECT o.id, (SELECT d.id FROM deliveries d
                       WHERE d.webhook_id = o.id AND d.status IN ('PENDING', 'RETRYING') AND d.line_seq IS NULL
                         AND d.next_attempt_at <= now()::timestamp
                         AND (d.lease_until IS NULL OR d.lease_until < now()::timestamp)
                       ORDER BY d.next_attempt_at, d.id LIMIT 1) AS delivery_id
          FROM webhooks o
         WHERE o.circuit_state <> 'CLOSED' AND o.circuit_next_probe_at <= now()::timestamp
           AND o.active AND NOT o.ordered) p
 WHERE w.id = p.id AND p.delivery_id IS NOT NULL
   AND w.circuit_state <> 'CLOSED' AND w.circuit_next_probe_at <= now()::timestamp
RETURNING w.id, w.project_id, w.active, w.circuit_state,
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
 * and attempts; the claim passes them over until the probe, and they are due again once it closes.
 */
export function createCircuitBreaker(deps: CircuitBreakerDeps): CircuitBreaker {
  const announce = (r: MovedRow) => announceStatus(deps.broadcaster, { id: r.id, projectId: r.project_id }, r.active, snapshot(r));

  return {
    async afterAttempt(attempt, recorded) {
      const move = circuitMove({ ...attempt, failureStreak: recorded.failureStreak }, recorded.circuit, deps.settings);
      if (!move) {
        // Already open (another worker opened it, or this attempt was under way meanwhile).
        return !attempt.succeeded && recorded.circuit && recorded.circuit.state !== 'CLOSED' ? 'held' : null;
      }
      if (move.to === 'OPEN') {
        const { rows } = await deps.sql.query<MovedRow>(OPEN_SQL, [
          attempt.webhookId,
          move.cooldownSeconds,
          move.from,
          attempt.deliveryId,
          deps.settings.failures,
        ]);
        if (!rows.length) {
          // Another worker moved it first: only a circuit still closed (a success won the race) lets go.
          const { rows: now } = await deps.sql.query<{ circuit_state: CircuitState }>('SELECT circuit_state FROM webhooks WHERE id = $1', [attempt.webhookId]);
          return now[0]?.circuit_state === 'CLOSED' ? null : 'held';
        }
        deps.logger.warn({ webhookId: attempt.webhookId, cooldownSeconds: move.cooldownSeconds }, 'circuit opened');
        announce(rows[0]);
        return 'held';
      }
      const { rows } = await deps.sql.query<MovedRow>(CLOSE_SQL, [attempt.webhookId]);
      if (!rows.length) return null;
      deps.logger.info({ webhookId: attempt.webhookId }, 'circuit closed');
      announce(rows[0]);
      return 'released';
    },

    async probeDue() {
      const { rows } = await deps.sql.query<MovedRow>(PROBE_SQL, [deps.leaseMs]);
      for (const r of rows) {
        deps.logger.info({ webhookId: r.id }, 'circuit half-open: probing');
        announce(r);
      }
      return rows.map((r) => r.id);
    },

    streakMayDisable: (attempt, circuit, disableAfterFailures) => streakMayDisable(attempt, circuit, disableAfterFailures, deps.settings.failures),
  };
}
