import { describe, expect, it } from 'vitest';
import { circuitMove, type CircuitView, nextCooldownSeconds, streakMayDisable } from '../../src/core/delivery/circuit.ts';

const settings = { failures: 5, cooldownSeconds: 60, maxCooldownSeconds: 3600 };
const view = (state: CircuitView['state'], cooldownSeconds: number | null = null, probeDeliveryId: string | null = null): CircuitView => ({
  state,
  cooldownSeconds,
  probeDeliveryId,
});

describe('circuit breaker rules', () => {
  it.each([
    // last cool-down, next: doubling from the configured one, capped at the maximum
    [null, 120],
    [60, 120],
    [120, 240],
    [1800, 3600],
    [2000, 3600],
    [3600, 3600],
  ])('after a failed probe with cool-down %s s the next is %s s', (last, next) => {
    expect(nextCooldownSeconds(last, settings)).toBe(next);
  });

  it('caps at the maximum even when the first cool-down is short', () => {
    const short = { cooldownSeconds: 0.5, maxCooldownSeconds: 1.5 };
    const steps = [0.5];
    for (let i = 0; i < 3; i++) steps.push(nextCooldownSeconds(steps.at(-1)!, short));
    expect(steps).toEqual([0.5, 1, 1.5, 1.5]);
  });

  it.each([
    // succeeded, streak, circuit as recorded, delivery, move
    ['a success on a closed circuit', true, 0, null, 'dlv_1', null],
    ['a failure below the threshold', false, 4, view('CLOSED'), 'dlv_1', null],
    ['the failure that reaches the threshold', false, 5, view('CLOSED'), 'dlv_1', { to: 'OPEN', from: 'CLOSED', cooldownSeconds: 60 }],
    ['a failure past the threshold (an earlier opening raced)', false, 7, view('CLOSED'), 'dlv_1', { to: 'OPEN', from: 'CLOSED', cooldownSeconds: 60 }],
    ['a failure while open (sent before it opened)', false, 6, view('OPEN', 60), 'dlv_1', null],
    ['the probe failing', false, 6, view('HALF_OPEN', 60, 'dlv_p'), 'dlv_p', { to: 'OPEN', from: 'HALF_OPEN', cooldownSeconds: 120 }],
    ['another delivery failing while half-open', false, 6, view('HALF_OPEN', 60, 'dlv_p'), 'dlv_1', null],
    ['the probe succeeding', true, 0, view('HALF_OPEN', 60, 'dlv_p'), 'dlv_p', { to: 'CLOSED' }],
    ['any success while open', true, 0, view('OPEN', 60), 'dlv_1', { to: 'CLOSED' }],
  ] as const)('%s', (_name, succeeded, failureStreak, circuit, deliveryId, move) => {
    expect(circuitMove({ deliveryId, succeeded, failureStreak }, circuit, settings)).toEqual(move);
  });

  it('switched off (0 failures), it never opens, but a success still closes what is open', () => {
    const off = { ...settings, failures: 0 };
    expect(circuitMove({ deliveryId: 'd', succeeded: false, failureStreak: 100 }, view('CLOSED'), off)).toBeNull();
    expect(circuitMove({ deliveryId: 'd', succeeded: true, failureStreak: 0 }, view('OPEN', 60), off)).toEqual({ to: 'CLOSED' });
  });

  it.each([
    // streak, circuit as recorded, delivery, disable after, breaker failures, may disable
    ['below the disable threshold', 9, view('OPEN', 60), 'dlv_1', 10, 5, false],
    ['breaker off: the streak alone decides', 10, null, 'dlv_1', 10, 0, true],
    ["a disable threshold below the breaker's acts first", 3, view('CLOSED'), 'dlv_1', 3, 5, true],
    ['the failure that opens the circuit, however many failed with it', 12, view('CLOSED'), 'dlv_1', 10, 5, false],
    ['a request under way when it opened', 11, view('OPEN', 60), 'dlv_1', 10, 5, false],
    ['another delivery failing while half-open', 11, view('HALF_OPEN', 60, 'dlv_p'), 'dlv_1', 10, 5, false],
    ['a failed probe past the threshold: the last resort', 10, view('HALF_OPEN', 60, 'dlv_p'), 'dlv_p', 10, 5, true],
  ] as const)('auto-disable by streak: %s', (_name, failureStreak, circuit, deliveryId, disableAfter, breakerFailures, may) => {
    expect(streakMayDisable({ deliveryId, failureStreak }, circuit, disableAfter, breakerFailures)).toBe(may);
  });
});
