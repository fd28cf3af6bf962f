import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import type { CircuitSnapshot } from './delivery/circuit.ts';
import type { RedisClient } from './redis.ts';

/** Small facts only: subscribers load the objects themselves, so nothing stale or Date-mangled travels. */
export interface Topics {
  deliveryAttemptCreated: { attemptId: string; deliveryId: string; webhookId: string; projectId: string };
  deliveryUpdated: { deliveryId: string; webhookId: string; projectId: string };
  webhookStatusChanged: { webhookId: string; projectId: string; active: boolean; circuit?: CircuitSnapshot };
  apiKeyRevoked: { keyId: string };
  /** A project's event types or its strictEventTypes changed: validator caches drop the project. */
  eventTypesChanged: { projectId: string };
}

export interface Broadcaster {
  publish<K extends keyof Topics>(topic: K, payload: Topics[K]): void;
  /** Publishes at once, resolving when Redis has taken the message (for what must arrive before an answer). */
  publishNow<K extends keyof Topics>(topic: K, payload: Topics[K]): Promise<void>;
  /** Calls `onMessage` with each message of the topic, in order, until the returned function is called. */
  listen<K extends keyof Topics>(topic: K, onMessage: (message: Topics[K]) => void): () => void;
}

/**
 * Pub/sub over Redis so that what a worker publishes reaches every API replica. Messages published in
 * the same turn of the event loop travel as one Redis message per topic, so a worker recording a batch
 * of attempts sends one PUBLISH, not one per attempt. Each Redis message is parsed once per process
 * and its messages handed to every listener synchronously: with 200 live dashboards a message costs
 * 200 calls, not 200 chains of async iterators. Channel names carry the deployment's Redis prefix
 * so that two deployments (or two test runs) sharing a Redis never cross.
 */
export function createBroadcaster(publishClient: RedisClient, subscribeClient: RedisClient, prefix: string): Broadcaster {
  const transport = createRedisEventTarget({ publishClient, subscribeClient });
  const pending = new Map<string, unknown[]>();
  const flush = () => {
    for (const [channel, batch] of pending) void publishClient.publish(channel, JSON.stringify(batch)).catch(() => undefined);
    pending.clear();
  };
  const listen = <K extends keyof Topics>(topic: K, onMessage: (message: Topics[K]) => void) => {
    const channel = `${prefix}:${topic}`;
    const callback = (event: Event) => {
      for (const message of (event as CustomEvent<Topics[K][]>).detail) onMessage(message);
    };
    transport.addEventListener(channel, callback);
    return () => transport.removeEventListener(channel, callback);
  };
  return {
    publish(topic, payload) {
      const channel = `${prefix}:${topic}`;
      if (pending.size === 0) setImmediate(flush);
      const batch = pending.get(channel);
      if (batch) batch.push(payload);
      else pending.set(channel, [payload]);
    },
    async publishNow(topic, payload) {
      // The same shape as a batch, so subscribers read it like any other message.
      await publishClient.publish(`${prefix}:${topic}`, JSON.stringify([payload]));
    },
    listen,
  };
}
