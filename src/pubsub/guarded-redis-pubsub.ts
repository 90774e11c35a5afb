import { RedisPubSub } from 'graphql-redis-subscriptions';
import type { Redis } from 'ioredis';

export interface GuardedRedisPubSub {
  readonly engine: RedisPubSub;
  /** Resolves once the channel is live on Redis (fails while Redis is away); gives the unsubscribe. */
  listen(channel: string, onMessage: (payload: unknown) => void): Promise<() => void>;
}

/**
 * graphql-redis-subscriptions' `RedisPubSub` on the given clients, its subscriber guarded by
 * `guardUnsubscribe`, which asks the channels listened to (or being subscribed) here.
 */
export function guardedRedisPubSub(publisher: Redis, subscriber: Redis): GuardedRedisPubSub {
  const listeners = new Map<string, number>();
  const count = (channel: string, by: 1 | -1) => {
    const n = (listeners.get(channel) ?? 0) + by;
    if (n > 0) listeners.set(channel, n);
    else listeners.delete(channel);
  };
  guardUnsubscribe(subscriber, (channel) => listeners.has(channel));
  const engine = new RedisPubSub({ publisher, subscriber });
  return {
    engine,
    async listen(channel, onMessage) {
      // RedisPubSub answers at once for a channel it already holds, even while Redis is away: the
      // subscription would not be live, so it is refused as a first SUBSCRIBE would be.
      if (subscriber.status !== 'ready') throw new Error(`Redis subscriber is ${subscriber.status}`);
      count(channel, 1); // counted from now: a SUBSCRIBE in flight is wanted too
      let id: number;
      try {
        id = await engine.subscribe(channel, onMessage);
      } catch (error) {
        count(channel, -1);
        throw error;
      }
      let live = true;
      return () => {
        if (!live) return;
        live = false;
        count(channel, -1);
        engine.unsubscribe(id);
      };
    },
  };
}

/**
 * graphql-redis-subscriptions 2.7.0 (upstream issue #593) sends UNSUBSCRIBE and PUNSUBSCRIBE
 * without handling their promises. When Redis is away they are rejected — unhandled, which ends the
 * process — and ioredis, which forgets a channel only when Redis confirms it, subscribes it again on
 * reconnect: a channel nobody listens to, for ever. This catches the failure and, on every `ready`
 * (after ioredis's resubscription), sends it again for each such channel nobody `wanted` since.
 * test/faults/redis-unsubscribe.test.ts shows the defect and says when this can go.
 */
export function guardUnsubscribe(subscriber: Redis, wanted: (channel: string) => boolean): void {
  for (const command of ['unsubscribe', 'punsubscribe'] as const) {
    const unsent = new Set<string>();
    const send = subscriber[command].bind(subscriber) as (...args: unknown[]) => Promise<unknown>;
    const guarded = (...args: unknown[]) => {
      const channels = args.flat().filter((arg): arg is string => typeof arg === 'string');
      for (const channel of channels) unsent.delete(channel);
      const sent = send(...args);
      sent.catch(() => channels.forEach((channel) => unsent.add(channel)));
      return sent;
    };
    subscriber[command] = guarded as Redis[typeof command];
    subscriber.on('ready', () => {
      const left = [...unsent].filter((channel) => !wanted(channel));
      unsent.clear();
      if (left.length > 0) guarded(...left).catch(() => {});
    });
  }
}
