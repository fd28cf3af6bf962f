/**
 * The circuit breaker's rules, pure so that their table test is the spec. The state lives on the
 * webhook row (every worker process reads the same); worker/circuitBreaker.ts applies these moves
 * with conditional UPDATEs so that concurrent workers make each move once.
 */
export type CircuitState = 'CLOSED' | 'OPEN' | 'HALF_OPEN';

export const CIRCUIT_STATES: readonly CircuitState[] = ['CLOSED', 'OPEN', 'HALF_OPEN'];

export interface CircuitSettings {
  /** Consecutive failed attempts that open a closed circuit; 0: the breaker is off. */
  failures: number;
  cooldownSeconds: number;
  maxCooldownSeconds: number;
}

/** The circuit as the attempt's recording left it (the row's columns after the streak update). */
export interface CircuitView {
  state: CircuitState;
  cooldownSeconds: number | null;
  probeDeliveryId: string | null;
}

/** What one recorded attempt does to its endpoint's circuit. */
export type CircuitMove = { to: 'OPEN'; from: 'CLOSED' | 'HALF_OPEN'; cooldownSeconds: number } | { to: 'CLOSED' } | null;

/** The cool-down after a failed probe: double the last one, never above the maximum. */
export function nextCooldownSeconds(last: number | null, settings: Pick<CircuitSettings, 'cooldownSeconds' | 'maxCooldownSeconds'>): number {
  return Math.min(settings.maxCooldownSeconds, (last ?? settings.cooldownSeconds) * 2);
}

export function circuitMove(
  attempt: { deliveryId: string; succeeded: boolean; failureStreak: number },
  circuit: CircuitView | null,
  settings: CircuitSettings,
): CircuitMove {
  const state = circuit?.state ?? 'CLOSED';
  // Any answer that counts as success proves the endpoint is back (switching the breaker off too
  // must not leave a circuit open for ever).
  if (attempt.succeeded) return state === 'CLOSED' ? null : { to: 'CLOSED' };
  if (settings.failures === 0) return null;
  if (state === 'CLOSED' && attempt.failureStreak >= settings.failures) {
    return { to: 'OPEN', from: 'CLOSED', cooldownSeconds: settings.cooldownSeconds };
  }
  // Only the probe's own failure reopens a half-open circuit; an attempt that was already under way
  // when the circuit opened says nothing new.
  if (state === 'HALF_OPEN' && circuit?.probeDeliveryId === attempt.deliveryId) {
    return { to: 'OPEN', from: 'HALF_OPEN', cooldownSeconds: nextCooldownSeconds(circuit.cooldownSeconds, settings) };
  }
  return null;
}

/**
 * Whether a failure streak this long may disable the webhook. With the breaker on, auto-disable is
 * the last resort: while the breaker holds the endpoint (its circuit open, or opening with this
 * failure) only a failed probe may give up on it — requests that were under way when the circuit
 * opened fail together and would otherwise disable it at once. A disable threshold below the
 * breaker's still acts first.
 */
export function streakMayDisable(
  attempt: { deliveryId: string; failureStreak: number },
  circuit: CircuitView | null,
  disableAfterFailures: number,
  breakerFailures: number,
): boolean {
  if (attempt.failureStreak < disableAfterFailures) return false;
  if (breakerFailures === 0) return true;
  const state = circuit?.state ?? 'CLOSED';
  if (state === 'CLOSED' && attempt.failureStreak < breakerFailures) return true;
  return state === 'HALF_OPEN' && circuit?.probeDeliveryId === attempt.deliveryId;
}

/** What subscribers of `webhookStatusChanged` are told of a circuit (timestamps as ISO strings). */
export interface CircuitSnapshot {
  state: CircuitState;
  openedAt: string | null;
  nextProbeAt: string | null;
}
