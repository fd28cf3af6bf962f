import { randomBytes } from 'node:crypto';
import type { RedisClient } from '../src/core/redis.ts';

/** The answer to one request for permits: how many were granted now, else how long to wait for the next. */
export interface Grant {
  granted: number;
  waitMs: number;
  /** Redis's clock when it answered: the time the grants are logged at. */
  atMs: number;
}

export interface RateLimiter {
  /** Asks for up to `want` sends to an endpoint limited to `perSecond`, recorded as made now. */
  acquire(webhookId: string, perSecond: number, want: number): Promise<Grant>;
}

/**
 * A sliding log per endpoint: a sorted set of the sends granted within the last window, scored by
 * Redis's own clock (so worker processes' clocks need not agree). A grant is made only while fewer
 * than `limit` sends lie in the window, so no window of that length ever holds more — unlike a fixed
 * window, which lets twice the limit through around its boundary. Grants are also paced (one per
 * window / limit, a few at once for high limits) so that a burst's spread on the wire cannot pack a
 * receiver's second. One key per endpoint, so the script is safe on a Redis Cluster.
 */
const SLIDING_LOG = `
local key = KEYS[1]
local limit, window, spacing, want = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local count = redis.call('ZCARD', key)
local newest = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
local last = newest[2] and tonumber(newest[2]) or nil
local grant = math.min(want, limit - count)
if last then grant = math.min(grant, math.floor((now - last) / spacing)) end
if grant > 0 then
  for i = 1, grant do redis.call('ZADD', key, now, ARGV[5] .. ':' .. i) end
  redis.call('PEXPIRE', key, window + 1000)
  return {grant, 0, now}
end
local wait = 1
if count >= limit then
  local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  wait = math.max(wait, tonumber(oldest[2]) + window - now + 1)
end
if last then wait = math.max(wait, math.ceil(last + spacing - now)) end
return {0, wait, now}`;

/** The window a limit is kept over: a second plus headroom for sends that reach the receiver unevenly. */
export const windowMs = (headroomMs: number) => 1000 + headroomMs;

/** At most this much of a second's allowance is granted at once (pacing; see SLIDING_LOG). */
export const burstOf = (perSecond: number) => Math.max(1, Math.floor(perSecond / 20));

type WithScript = RedisClient & {
  hookpostSlidingLog(key: string, limit: number, window: number, spacing: number, want: number, id: string): Promise<[number, number, number]>;
};

export function createRateLimiter(redis: RedisClient, prefix: string, headroomMs: number): RateLimiter {
  const client = redis as WithScript;
  if (typeof client.hookpostSlidingLog !== 'function') client.defineCommand('hookpostSlidingLog', { numberOfKeys: 1, lua: SLIDING_LOG });
  const token = randomBytes(6).toString('hex');
  const window = windowMs(headroomMs);
  let sequence = 0;
  return {
    async acquire(webhookId, perSecond, want) {
      const [granted, waitMs, atMs] = await client.hookpostSlidingLog(
        `${prefix}:rate:${webhookId}`,
        perSecond,
        window,
        window / perSecond,
        Math.max(1, Math.min(want, perSecond)),
        `${token}:${++sequence}`,
      );
      return { granted, waitMs, atMs };
    },
  };
}
