import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import { createPubSub } from 'graphql-yoga';
import type { Redis } from 'ioredis';

/** Small facts only: subscribers load the objects themselves, so nothing stale or Date-mangled travels. */
export interface Topics {
  deliveryAttemptCreated: { attemptId: string; deliveryId: string; webhookId: string; projectId: string };
  deliveryUpdated: { deliveryId: string; webhookId: string; projectId: string };
  webhookStatusChanged: { webhookId: string; projectId: string; active: boolean };
  apiKeyRevoked: { keyId: string };
}

export interface Broadcaster {
  publish<K extends keyof Topics>(topic: K, payload: Topics[K]): void;
  subscribe<K extends keyof Topics>(topic: K): AsyncIterable<Topics[K]>;
}

/**
 * Pub/sub over Redis so that what a worker publishes reaches every API replica. Channel names carry the
 * deployment's Redis prefix so that two deployments (or two test runs) sharing a Redis never cross.
 */
export function createBroadcaster(publishClient: Redis, subscribeClient: Redis, prefix: string): Broadcaster {
  const pubsub = createPubSub<Record<string, [unknown]>>({
    eventTarget: createRedisEventTarget({ publishClient, subscribeClient }),
  });
  return {
    publish: (topic, payload) => pubsub.publish(`${prefix}:${topic}`, payload),
    subscribe: <K extends keyof Topics>(topic: K) =>
      pubsub.subscribe(`${prefix}:${topic}`) as AsyncIterable<Topics[K]>,
  };
}
