import { PubSub } from 'graphql-subscriptions';
import type { Redis } from 'ioredis';
import { guardedRedisPubSub } from './guarded-redis-pubsub.js';

/**
 * Every topic and its payload, in one place. Payloads are JSON-safe (dates as ISO strings) and hold
 * no PII: subscribers re-read the record they point at.
 */
export interface TopicPayloads {
  verificationResult: {
    verificationId: string;
    userId: string;
    status: string;
    at: string;
    /** `started`: the record was just created (PENDING, or FAILED at once); `moved`: it changed state. */
    change: 'started' | 'moved';
    createdAt: string;
    failureCode: string | null;
  };
  /** A user's verified identity changed (verified, expired, erased): drop cached gate answers. */
  userStatus: { userId: string };
}
export type Topic = keyof TopicPayloads;

export const channelOf = (topic: Topic, key?: string) => (key ? `${topic}:${key}` : topic);

/** A message as `publish` takes it: the topic, and that topic's payload. */
export type Published = { [T in Topic]: { topic: T; payload: TopicPayloads[T] } }[Topic];

/** The same bus, with `tap` run on every message before it is published (metrics, a local cache). */
export function tappingPublish(bus: EventBus, tap: (message: Published) => void): EventBus {
  return {
    ...bus,
    kind: bus.kind,
    publish: (topic, key, payload) => {
      tap({ topic, payload } as Published);
      return bus.publish(topic, key, payload);
    },
  };
}

export interface EventBus {
  readonly kind: 'redis' | 'memory';
  publish<T extends Topic>(topic: T, key: string | undefined, payload: TopicPayloads[T]): Promise<void>;
  /** Resolves once the subscription is live on the broker, so nothing published after it is missed. */
  listen<T extends Topic>(
    topic: T,
    key: string | undefined,
    onMessage: (payload: TopicPayloads[T]) => void,
  ): Promise<() => void>;
  /**
   * Called after the broker connection came back and every subscription is live again. Whatever
   * was published meanwhile is lost, so listeners re-read the state they watch.
   */
  onReconnect(listener: () => void): () => void;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export function createMemoryBus(): EventBus {
  const engine = new PubSub();
  return {
    kind: 'memory',
    publish: (topic, key, payload) => engine.publish(channelOf(topic, key), payload),
    async listen(topic, key, onMessage) {
      const id = await engine.subscribe(channelOf(topic, key), onMessage);
      let live = true;
      return () => {
        if (live) engine.unsubscribe(id);
        live = false;
      };
    },
    onReconnect: () => () => {},
    ping: async () => {},
    close: async () => {},
  };
}

/**
 * graphql-redis-subscriptions' `RedisPubSub` over two clients of its own, duplicated from the
 * shared one with `enableOfflineQueue: false`: while Redis is away, a publish or a subscribe fails at
 * once instead of holding the request for several reconnect attempts. The subscriber is guarded
 * against the package's one defect (`guardUnsubscribe` in guarded-redis-pubsub.ts).
 */
export async function createRedisBus(redis: Redis, prefix: string, readyWithinMs = 5_000): Promise<EventBus> {
  const publisher = redis.duplicate({ enableOfflineQueue: false });
  const subscriber = redis.duplicate({ enableOfflineQueue: false });
  // Both reconnect on their own; the shared client's listener logs outages.
  for (const client of [publisher, subscriber]) client.on('error', () => {});
  const { engine, listen } = guardedRedisPubSub(publisher, subscriber);
  const reconnectListeners = new Set<() => void>();

  let connectedBefore = false;
  subscriber.on('ready', () => {
    if (!connectedBefore) return void (connectedBefore = true);
    // ioredis has re-sent SUBSCRIBE for every channel (and the guard its UNSUBSCRIBEs) before
    // 'ready' reaches us; a PING answered behind them means the subscriptions are live again.
    subscriber.ping().then(
      () => reconnectListeners.forEach((listener) => listener()),
      () => {},
    );
  });
  await Promise.all([whenReady(publisher, readyWithinMs), whenReady(subscriber, readyWithinMs)]);

  return {
    kind: 'redis',
    publish: (topic, key, payload) => engine.publish(prefix + channelOf(topic, key), payload),
    listen: (topic, key, onMessage) =>
      listen(prefix + channelOf(topic, key), (payload) => {
        // A message that is not JSON arrives as its raw string: not one of ours.
        if (typeof payload === 'object' && payload !== null) onMessage(payload as Parameters<typeof onMessage>[0]);
      }),
    onReconnect(listener) {
      reconnectListeners.add(listener);
      return () => reconnectListeners.delete(listener);
    },
    ping: async () => {
      await Promise.all([publisher.ping(), subscriber.ping()]);
    },
    close: async () => {
      await Promise.all([publisher, subscriber].map((client) => client.quit().catch(() => client.disconnect())));
    },
  };
}

/** Waits for a first connection, but not for ever: without Redis the service starts degraded. */
async function whenReady(client: Redis, withinMs: number): Promise<void> {
  if (client.status === 'ready') return;
  await new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      client.off('ready', done);
      resolve();
    };
    const timer = setTimeout(done, withinMs);
    client.on('ready', done);
  });
}
