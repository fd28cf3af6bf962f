import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/config.ts';
import { DEFAULT_ENVELOPE } from '../../src/core/delivery/request.ts';
import { DEFAULT_SCHEDULE_SECONDS } from '../../src/core/delivery/retryPolicy.ts';

describe('loadConfig', () => {
  it('gives the documented defaults for an empty environment', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      env: 'development',
      host: '0.0.0.0',
      port: 4000,
      databaseUrl: 'postgresql://postgres@127.0.0.1:5432/hookpost',
      redisUrl: 'redis://127.0.0.1:6379',
      redisPrefix: 'hookpost',
      security: { allowHttp: true, allowedNetworks: [], introspection: true, maxBodyBytes: 1024 * 1024 },
      delivery: { concurrency: 50, disableAfterFailures: 10, headerPrefix: 'X-Hookpost', signatureFormat: 'sha256=hex' },
      operations: { workerMetricsPort: 9464, retentionDays: 30, retentionIntervalMs: 3_600_000 },
      heapGrowthPercent: 20,
    });
    expect(config.delivery.envelope).toEqual(DEFAULT_ENVELOPE);
    expect(config.delivery.retrySchedule).toEqual(DEFAULT_SCHEDULE_SECONDS);
  });

  it.each([
    [{}, { failures: 5, cooldownSeconds: 60, maxCooldownSeconds: 3600 }, 100],
    [{ HOOKPOST_CIRCUIT_FAILURES: '0' }, { failures: 0, cooldownSeconds: 60, maxCooldownSeconds: 3600 }, 100],
    [
      { HOOKPOST_CIRCUIT_COOLDOWN_SECONDS: '0.5', HOOKPOST_CIRCUIT_MAX_COOLDOWN_SECONDS: '2' },
      { failures: 5, cooldownSeconds: 0.5, maxCooldownSeconds: 2 },
      100,
    ],
    // A maximum below the first cool-down is raised to it.
    [
      { HOOKPOST_CIRCUIT_COOLDOWN_SECONDS: '120', HOOKPOST_CIRCUIT_MAX_COOLDOWN_SECONDS: '60' },
      { failures: 5, cooldownSeconds: 120, maxCooldownSeconds: 120 },
      100,
    ],
    [{ HOOKPOST_RATE_LIMIT_HEADROOM_MS: '0' }, { failures: 5, cooldownSeconds: 60, maxCooldownSeconds: 3600 }, 0],
  ])('circuit breaker and rate limit settings from %j', (env, circuit, headroom) => {
    const config = loadConfig(env);
    expect(config.delivery.circuit).toEqual(circuit);
    expect(config.delivery.rateLimitHeadroomMs).toBe(headroom);
  });

  it.each([{ HOOKPOST_CIRCUIT_FAILURES: '-1' }, { HOOKPOST_CIRCUIT_COOLDOWN_SECONDS: '0' }, { HOOKPOST_RATE_LIMIT_HEADROOM_MS: '5000' }])(
    'refuses %j',
    (env) => {
      expect(() => loadConfig(env)).toThrow(/Invalid configuration/);
    },
  );

  it('parses structured variables and treats an empty one as unset', () => {
    const config = loadConfig({
      HOOKPOST_RETRY_SCHEDULE: '0.5, 2',
      HOOKPOST_ALLOWED_NETWORKS: '127.0.0.0/8',
      HOOKPOST_ENVELOPE: 'id,type,createdAt=timestamp,data',
      PORT: '',
      NODE_ENV: 'production',
    });
    expect(config.delivery.retrySchedule).toEqual([0.5, 2]);
    expect(config.security.allowedNetworks).toHaveLength(1);
    expect(config.delivery.envelope.map(([name]) => name)).toEqual(['id', 'type', 'createdAt', 'data']);
    expect(config.port).toBe(4000);
    expect(config.security.allowHttp).toBe(false);
  });

  it.each([
    ['HOOKPOST_RETRY_SCHEDULE', '1,x'],
    ['HOOKPOST_ALLOWED_NETWORKS', '10.0.0.0'],
    ['HOOKPOST_ENVELOPE', 'id,type'],
    ['PORT', 'eighty'],
    ['HOOKPOST_SIGNATURE_FORMAT', 'base64'],
    ['HOOKPOST_RETENTION_DAYS', '-1'],
    ['HOOKPOST_WORKER_METRICS_PORT', '70000'],
    ['HOOKPOST_TOKEN_SIGNING_KEY', Buffer.alloc(31, 1).toString('base64')],
    ['HOOKPOST_TOKEN_SIGNING_KEY', `${Buffer.alloc(32, 1).toString('base64')},short`],
  ])('names the variable when %s=%s is wrong', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`Invalid configuration: ${name}: `));
  });

  it('keeps the tenant token signing keys, newest first, or leaves them to be derived', () => {
    const keys = `${Buffer.alloc(32, 2).toString('base64')},${Buffer.alloc(48, 1).toString('base64')}`;
    expect(loadConfig({ HOOKPOST_TOKEN_SIGNING_KEY: keys }).tokenSigningKey).toBe(keys);
    expect(loadConfig({}).tokenSigningKey).toBeUndefined();
  });
});
