import { loadConfig, type Config, type Env } from '../../src/core/config.ts';

export const TEST_ADMIN_KEY = 'hpk_test_admin_key_0123456789abcdef';
// A fixed key, so that a test's ciphertexts can be opened by any process it starts.
export const TEST_ENCRYPTION_KEY = Buffer.alloc(32, 7).toString('base64');
/** The migrated template this run's test files clone; each run has its own, so runs can overlap. */
export function templateDatabase(): string {
  return process.env.HOOKPOST_TEST_TEMPLATE_DB ?? 'hookpost_test';
}
export const SERVER_URL = 'postgresql://postgres@127.0.0.1:5432';

/** The config every test starts from: its own database and Redis prefix, no ambient environment. */
export function testConfig(databaseName: string, redisPrefix: string, overrides: Env = {}): Config {
  return loadConfig(
    {
      NODE_ENV: 'test',
      DATABASE_URL: `${SERVER_URL}/${databaseName}`,
      REDIS_URL: 'redis://127.0.0.1:6379',
      HOOKPOST_REDIS_PREFIX: redisPrefix,
      HOOKPOST_ADMIN_KEY: TEST_ADMIN_KEY,
      HOOKPOST_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
      LOG_LEVEL: 'silent',
      // Test receivers listen on loopback, which the SSRF guard refuses unless allowed.
      HOOKPOST_ALLOWED_NETWORKS: '127.0.0.0/8,::1/128',
      PORT: '0',
      // Tests of retries and auto-disable count failures past the breaker's threshold; the breaker
      // has its own tests (test/e2e/circuitBreaker.test.ts), which switch it on.
      HOOKPOST_CIRCUIT_FAILURES: '0',
    },
    overrides,
  );
}
