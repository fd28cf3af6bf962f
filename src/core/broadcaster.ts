import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import { createPubSub, Repeater } from 'graphql-yoga';
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
  subscribe<K extends keyof Topics>(topic: K): AsyncIterable<Topics[K]>;
}

/**
 * Pub/sub over RedisClient so that what a worker publishes reaches every API replica. Messages published in
 * the same turn of the event loop travel as one RedisClient message per topic, so a worker recording a batch
 * of attempts sends one PUBLISH, not one per attempt. Channel names carry the deployment's RedisClient prefix
 * so that two deployments (or two test runs) sharing a RedisClient never cross.
 */
export function createBroadcaster(publishClient: RedisClient, subscribeClient: RedisClient, prefix: string): Broadcaster {
  const pubsub = createPubSub<Record<string, [unknown[]]>>({
    eventTarget: createRedisEventTarget({ publishClient, subscribeClient }),
  });
  const pending = new Map<string, unknown[]>();
  const flush = () => {
    for (const [channel, batch] of pending) pubsub.publish(channel, batch);
    pending.clear();
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
    subscribe<K extends keyof Topics>(topic: K): AsyncIterable<Topics[K]> {
      const batches = pubsub.subscribe(`${prefix}:${topic}`)[Symbol.asyncIterator]();
      // A Repeater, not a generator: ending the stream must unsubscribe at once, even while it waits.
      return new Repeater<Topics[K]>(async (push, stop) => {
        void stop.then(() => batches.return?.());
        for (let next = await batches.next(); !next.done; next = await batches.next()) {
          for (const message of next.value as Topics[K][]) await push(message);
        }
        stop();
      });
    },
  };
}
