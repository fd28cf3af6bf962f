import type { Logger } from 'pino';
import type { Sql } from '../src/core/db/sql.ts';
import type { Wakeup } from '../src/core/queue/wakeups.ts';
import type { CircuitBreaker } from './circuitBreaker.ts';
import { findDueWork } from './stages/dueWork.ts';

export interface SweepDeps {
  sql: Sql;
  circuit: Pick<CircuitBreaker, 'probeDue'>;
  logger: Logger;
  /** The longest between two looks. */
  everyMs: number;
  /** Endpoints found with due deliveries. */
  onDue(wakeup: Wakeup): void;
  /** Each look that read the schedule (metrics). */
  onLook?(): void;
}

export interface Sweep {
  stop(): Promise<void>;
}

/**
 * Postgres is the schedule; this is how a worker reads it. On start and then at least every
 * `everyMs` (sooner when the earliest scheduled delivery is due sooner) it finds every endpoint with
 * due deliveries, whoever scheduled them: retries of other workers, work whose wake-up Redis lost,
 * a dead worker's deliveries once their leases ran out. It also gives open circuits past their
 * cool-down their probe.
 */
export function startSweep(deps: SweepDeps): Sweep {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;

  const schedule = (inMs: number) => {
    clearTimeout(timer);
    if (stopped) return;
    timer = setTimeout(look, Math.max(1, Math.min(deps.everyMs, inMs)));
    timer.unref();
  };

  function look(): void {
    running ??= (async () => {
      let nextInMs = deps.everyMs;
      try {
        const [due, probed] = await Promise.all([findDueWork(deps.sql), deps.circuit.probeDue()]);
        deps.onLook?.();
        deps.onDue({ webhookIds: [...due.webhookIds, ...probed], lines: due.lines });
        if (due.nextDueInMs !== null) nextInMs = due.nextDueInMs;
      } catch (err) {
        deps.logger.warn({ err }, 'looking for due deliveries failed; looking again soon');
      } finally {
        running = undefined;
        schedule(nextInMs);
      }
    })();
  }
  look();

  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
