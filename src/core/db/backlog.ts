import type { Sql } from './sql.ts';

/** Open deliveries by where they stand (the same figures seen from every process). */
export interface Backlog {
  /** Due now and free to claim. */
  due: number;
  /** Due later (retries waiting for their time). */
  scheduled: number;
  /** Claimed by a worker, under a live lease. */
  inFlight: number;
  /** Held: the webhook is disabled or its circuit is open. */
  held: number;
  /** How long the oldest due delivery has waited (seconds): the lag a receiver feels; 0 with none due. */
  oldestDueSeconds: number;
  /** Webhooks by where they stand: enabled with their circuit closed, open or half-open, or disabled. */
  webhooks: { closed: number; open: number; halfOpen: number; disabled: number };
}

const WEBHOOK_STATES = `
  SELECT count(*) FILTER (WHERE active AND circuit_state = 'CLOSED')::int AS closed,
         count(*) FILTER (WHERE active AND circuit_state = 'OPEN')::int AS open,
         count(*) FILTER (WHERE active AND circuit_state = 'HALF_OPEN')::int AS half_open,
         count(*) FILTER (WHERE NOT active)::int AS disabled
    FROM webhooks`;

/** Reads the backlog from the deliveries table's open rows (one scan of the open-deliveries index). */
export async function readBacklog(sql: Sql): Promise<Backlog> {
  const [states, { rows }] = await Promise.all([
    sql.query<{ closed: number; open: number; half_open: number; disabled: number }>(WEBHOOK_STATES),
    sql.query<{ due: number; scheduled: number; in_flight: number; held: number; oldest_due_s: number | null }>(`
    SELECT count(*) FILTER (WHERE NOT s.held AND NOT s.leased AND s.due)::int AS due,
           count(*) FILTER (WHERE NOT s.held AND NOT s.leased AND NOT s.due)::int AS scheduled,
           count(*) FILTER (WHERE s.leased)::int AS in_flight,
           count(*) FILTER (WHERE s.held AND NOT s.leased)::int AS held,
           EXTRACT(EPOCH FROM now()::timestamp - min(s.next_attempt_at) FILTER (WHERE NOT s.held AND NOT s.leased AND s.due))::float8 AS oldest_due_s
      FROM (SELECT d.next_attempt_at, d.next_attempt_at <= now()::timestamp AS due,
                   COALESCE(d.lease_until >= now()::timestamp, false) AS leased,
                   NOT w.active OR (w.circuit_state = 'OPEN' AND NOT w.ordered) AS held
              FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id
             WHERE d.status IN ('PENDING', 'RETRYING')) s`),
  ]);
  const r = rows[0];
  const w = states.rows[0];
  return {
    due: r.due,
    scheduled: r.scheduled,
    inFlight: r.in_flight,
    held: r.held,
    oldestDueSeconds: Math.max(0, r.oldest_due_s ?? 0),
    webhooks: { closed: w.closed, open: w.open, halfOpen: w.half_open, disabled: w.disabled },
  };
}
