import { PubSub } from 'graphql-subscriptions';
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
 * Publishes on the shared client; subscribes on a duplicate, since a subscribed connection can do
 * nothing else. Both clients must have `enableOfflineQueue: false`: while Redis is away, a publish
 * or a subscribe fails at once instead of holding the request for several reconnect attempts.
 *
 * Its own channel bookkeeping rather than graphql-redis-subscriptions': that one leaves a channel
 * subscribed for ever when an UNSUBSCRIBE cannot be sent, and rejects it unhandled (a crash).
 */
export async function createRedisBus(redis: Redis, prefix: string, readyWithinMs = 5_000): Promise<EventBus> {
  const subscriber = redis.duplicate();
  subscriber.on('error', () => {}); // reconnects on its own; the shared client's listener logs outages
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  /** Channels whose UNSUBSCRIBE could not be sent: ioredis would resubscribe them on reconnect. */
  const orphans = new Set<string>();
  const reconnectListeners = new Set<() => void>();

  subscriber.on('message', (channel: string, message: string) => {
    const channelListeners = listeners.get(channel);
    if (!channelListeners) return;
    let payload: unknown;
    try {
      payload = JSON.parse(message);
    } catch {
      return; // not one of ours; throwing here would take the connection's parser down
    }
    for (const listener of channelListeners) listener(payload);
  });
  const unsubscribe = (channel: string) => {
    orphans.delete(channel);
    subscriber.unsubscribe(channel).catch(() => orphans.add(channel));
  };
  let connectedBefore = false;
  subscriber.on('ready', () => {
    if (!connectedBefore) return void (connectedBefore = true);
    for (const channel of orphans) if (!listeners.has(channel)) unsubscribe(channel);
    // ioredis has re-sent SUBSCRIBE for every channel before 'ready' reaches us; a PING answered
    // behind them means they are live again.
    subscriber.ping().then(
      () => reconnectListeners.forEach((listener) => listener()),
      () => {},
    );
  });
  await Promise.all([whenReady(redis, readyWithinMs), whenReady(subscriber, readyWithinMs)]);

  return {
    kind: 'redis',
    publish: async (topic, key, payload) => {
      await redis.publish(prefix + channelOf(topic, key), JSON.stringify(payload));
    },
    async listen(topic, key, onMessage) {
      const channel = prefix + channelOf(topic, key);
      const listener = (payload: unknown) => onMessage(payload as Parameters<typeof onMessage>[0]);
      const channelListeners = listeners.get(channel) ?? new Set();
      listeners.set(channel, channelListeners.add(listener));
      const remove = () => {
        if (!channelListeners.delete(listener) || channelListeners.size > 0) return;
        listeners.delete(channel);
        unsubscribe(channel);
      };
      try {
        // Sent even when the channel is already subscribed: its reply, ordered after any earlier
        // UNSUBSCRIBE on this connection, is what tells us the subscription is live.
        await subscriber.subscribe(channel);
      } catch (error) {
        remove();
        throw error;
      }
      return remove;
    },
    onReconnect(listener) {
      reconnectListeners.add(listener);
      return () => reconnectListeners.delete(listener);
    },
    ping: async () => {
      await Promise.all([redis.ping(), subscriber.ping()]);
    },
    close: async () => {
      await subscriber.quit().catch(() => subscriber.disconnect());
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
