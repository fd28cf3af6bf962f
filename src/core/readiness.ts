import type { RedisClient } from './redis.ts';
import type { MemoryPolicyCheck } from './redisMemoryPolicy.ts';
import type { Db } from './db/client.ts';
import { withTimeout } from './withTimeout.ts';

export interface Readiness {
  ok: boolean;
  /** `ok`, or why the part does not answer. */
  checks: { postgres: string; redis: string };
  /** The parts that do not answer, named. */
  failing: ('postgres' | 'redis')[];
  /** What does not make the process unready but an operator must know. */
  details?: {
    /** Whether Redis may evict keys when full (checked at each connection; `noeviction` is the only safe answer). */
    redisMaxmemoryPolicy: MemoryPolicyCheck;
  };
}

const CHECK_TIMEOUT_MS = 2000;

/**
 * Whether Postgres and Redis both answer now; each is asked once, with a short deadline. Redis's
 * maxmemory-policy, as last checked, comes along as a detail.
 */
export async function checkReadiness(
  deps: { db: Db; redis: RedisClient; redisMemoryPolicy?: () => MemoryPolicyCheck },
  timeoutMs = CHECK_TIMEOUT_MS,
): Promise<Readiness> {
  const [postgres, redis] = await Promise.all([
    probe(() => deps.db.$queryRaw`SELECT 1`, timeoutMs, 'postgres'),
    // Commands on a reconnecting client wait for the connection instead of failing: ask only a ready one.
    deps.redis.status === 'ready' ? probe(() => deps.redis.ping(), timeoutMs, 'redis') : Promise.resolve(`not connected (${deps.redis.status})`),
  ]);
  const checks = { postgres, redis };
  const failing = (['postgres', 'redis'] as const).filter((part) => checks[part] !== 'ok');
  // An evicting Redis works until it is full, so it is a warning here, not a failure.
  const details = deps.redisMemoryPolicy ? { details: { redisMaxmemoryPolicy: deps.redisMemoryPolicy() } } : {};
  return { ok: failing.length === 0, checks, failing, ...details };
}

async function probe(ask: () => Promise<unknown>, timeoutMs: number, what: string): Promise<string> {
  try {
    await withTimeout(ask(), timeoutMs, what);
    return 'ok';
  } catch (err) {
    return err instanceof Error ? err.message.split('\n')[0] || err.name : String(err);
  }
}
