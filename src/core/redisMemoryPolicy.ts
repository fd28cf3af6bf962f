import { Cluster, type Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { RedisClient } from './redis.ts';
import { withTimeout } from './withTimeout.ts';

/**
 * What Redis does when full, as far as Hookpost can tell. Any policy but `noeviction` lets Redis
 * drop BullMQ's keys (wake-ups, job locks) and rate-limit windows silently under memory pressure.
 */
export type MemoryPolicyCheck =
  | { state: 'pending'; message: string }
  | { state: 'ok'; message: string; policies: Record<string, string> }
  | { state: 'evicting'; message: string; policies: Record<string, string> }
  | { state: 'unknown'; message: string };

/** One server's answer to `CONFIG GET maxmemory-policy`: the reply, or why there is none. */
export interface PolicyAnswer {
  node: string;
  reply?: unknown;
  error?: string;
}

/** The verdict on every master's answer: evicting if any evicts, unknown if any could not be asked. */
export function judgeMemoryPolicy(answers: PolicyAnswer[]): MemoryPolicyCheck {
  if (answers.length === 0) return { state: 'unknown', message: 'could not check maxmemory-policy: no Redis node to ask' };
  const policies: Record<string, string> = {};
  const unknown: string[] = [];
  for (const a of answers) {
    // CONFIG GET answers [name, value]; RESP3 servers may answer a map, which ioredis gives as an object.
    const reply = a.reply;
    const value = Array.isArray(reply) ? reply[1] : reply && typeof reply === 'object' ? (reply as Record<string, unknown>)['maxmemory-policy'] : undefined;
    if (a.error !== undefined || typeof value !== 'string') unknown.push(`${a.node}: ${a.error ?? 'no maxmemory-policy in the reply'}`);
    else policies[a.node] = value;
  }
  const evicting = Object.entries(policies).filter(([, p]) => p !== 'noeviction');
  if (evicting.length > 0) {
    const named = evicting.map(([node, p]) => `${p} on ${node}`).join(', ');
    return {
      state: 'evicting',
      policies,
      message: `maxmemory-policy is ${named}: Redis may evict Hookpost's keys when full; set it to noeviction`,
    };
  }
  if (unknown.length > 0) return { state: 'unknown', message: `could not check maxmemory-policy (${unknown.join('; ')})` };
  return { state: 'ok', policies, message: 'noeviction' };
}

// Sentinel's master is known only once connected: name the server the socket reached.
function nodeName(client: Redis): string {
  const socket = client.stream as { remoteAddress?: string; remotePort?: number } | undefined;
  return socket?.remoteAddress ? `${socket.remoteAddress}:${socket.remotePort}` : `${client.options.host}:${client.options.port}`;
}

/**
 * Asks every master (the one server, Sentinel's current master, or each cluster master). Managed
 * services often refuse CONFIG: that answer is an error per node, not a thrown one.
 */
export async function askMemoryPolicy(redis: RedisClient, timeoutMs = 2000): Promise<PolicyAnswer[]> {
  const targets = redis instanceof Cluster ? redis.nodes('master') : [redis];
  return Promise.all(
    targets.map(async (client) => {
      const node = nodeName(client);
      try {
        return { node, reply: await withTimeout(client.config('GET', 'maxmemory-policy'), timeoutMs, 'CONFIG GET') };
      } catch (err) {
        return { node, error: err instanceof Error ? err.message.split('\n')[0] : String(err) };
      }
    }),
  );
}

/** The latest check, and a way to stop following the connection. */
export interface MemoryPolicyWatch {
  current(): MemoryPolicyCheck;
  stop(): void;
}

/**
 * Checks on every (re)connection of `redis`, since a failover or a reconnect may land on another
 * server, and logs a loud warning each time the verdict is not `noeviction`.
 */
export function watchMemoryPolicy(redis: RedisClient, logger: Logger): MemoryPolicyWatch {
  let latest: MemoryPolicyCheck = { state: 'pending', message: 'not checked yet: Redis has not connected' };
  let lastLogged = '';
  const check = () => {
    askMemoryPolicy(redis).then((answers) => {
      latest = judgeMemoryPolicy(answers);
      if (latest.state === 'ok' || latest.message === lastLogged) return;
      lastLogged = latest.message;
      if (latest.state === 'evicting') logger.warn({ redisMaxmemoryPolicy: latest.policies }, `REDIS MISCONFIGURED: ${latest.message}`);
      else logger.warn(latest.message);
    });
  };
  redis.on('ready', check);
  if (redis.status === 'ready') check();
  return { current: () => latest, stop: () => redis.off('ready', check) };
}
