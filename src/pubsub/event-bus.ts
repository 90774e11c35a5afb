import { PubSub, type PubSubEngine } from 'graphql-subscriptions';
import { RedisPubSub } from 'graphql-redis-subscriptions';
import type { Redis } from 'ioredis';

/**
 * Every topic and its payload, in one place. Payloads are JSON-safe (dates as ISO strings) and hold
 * no PII: subscribers re-read the record they point at.
 */
export interface TopicPayloads {
  verificationResult: { verificationId: string; userId: string; status: string; at: string };
  /** A user's verified identity changed (verified, expired, erased): drop cached gate answers. */
  userStatus: { userId: string };
}
export type Topic = keyof TopicPayloads;

export const channelOf = (topic: Topic, key?: string) => (key ? `${topic}:${key}` : topic);

export interface EventBus {
  readonly kind: 'redis' | 'memory';
  publish<T extends Topic>(topic: T, key: string | undefined, payload: TopicPayloads[T]): Promise<void>;
  /** Resolves once the subscription is live on the broker, so nothing published after it is missed. */
  listen<T extends Topic>(
    topic: T,
    key: string | undefined,
    onMessage: (payload: TopicPayloads[T]) => void,
  ): Promise<() => void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

function busOver(engine: PubSubEngine, kind: EventBus['kind'], extra: Pick<EventBus, 'ping' | 'close'>, prefix = ''): EventBus {
  return {
    kind,
    publish: (topic, key, payload) => engine.publish(prefix + channelOf(topic, key), payload),
    async listen(topic, key, onMessage) {
      // Awaited before anyone may unsubscribe: graphql-redis-subscriptions leaks the channel when
      // unsubscribe() races a SUBSCRIBE that Redis has not acknowledged yet.
      const id = await engine.subscribe(prefix + channelOf(topic, key), onMessage, {});
      let live = true;
      return () => {
        if (live) engine.unsubscribe(id);
        live = false;
      };
    },
    ...extra,
  };
}

export function createMemoryBus(): EventBus {
  return busOver(new PubSub(), 'memory', { ping: async () => {}, close: async () => {} });
}

/** Publishes on the shared client; subscribes on a duplicate, since a subscribed connection can do nothing else. */
export function createRedisBus(redis: Redis, prefix: string): EventBus {
  const subscriber = redis.duplicate();
  subscriber.on('error', () => {}); // reconnects on its own; the shared client's listener logs outages
  const engine = new RedisPubSub({ publisher: redis, subscriber });
  return busOver(engine, 'redis', {
    ping: async () => {
      await redis.ping();
    },
    close: async () => {
      await subscriber.quit().catch(() => subscriber.disconnect());
    },
  }, prefix);
}
