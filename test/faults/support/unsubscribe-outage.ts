/**
 * A process with one Redis subscription held through graphql-redis-subscriptions' `RedisPubSub`,
 * on clients configured as the event bus configures its own (`enableOfflineQueue: false`), for
 * test/faults/redis-unsubscribe.test.ts. Arguments: the Redis URL, the channel, and the mode:
 * - `upstream`: the package as published, under Node's default handling of unhandled rejections;
 * - `upstream-observed`: the same, but unhandled rejections are recorded instead of fatal, so the
 *   process lives on to show what becomes of the channel;
 * - `guarded`: as the event bus uses it, guarded (src/pubsub/guarded-redis-pubsub.ts).
 * The parent drives it over IPC: `subscribed` ← (Redis killed) `leave` → `left` ← (Redis back)
 * `settle` → `settled` ← `deliver` → `delivered`.
 */
import { once } from 'node:events';
import { RedisPubSub } from 'graphql-redis-subscriptions';
import { Redis } from 'ioredis';
import { guardedRedisPubSub } from '../../../src/pubsub/guarded-redis-pubsub.js';

export type Mode = 'upstream' | 'upstream-observed' | 'guarded';
export type Command = 'leave' | 'settle' | 'deliver';
export type Report = { step: 'subscribed' | 'left' | 'settled' | 'delivered'; unhandled: string[] };

const [url, channel, mode] = process.argv.slice(2) as [string, string, Mode];
const unhandled: string[] = [];
if (mode === 'upstream-observed') process.on('unhandledRejection', (reason) => unhandled.push(String(reason)));

const options = { enableOfflineQueue: false, maxRetriesPerRequest: 2 };
const publisher = new Redis(url, options);
const subscriber = new Redis(url, options);
for (const client of [publisher, subscriber]) client.on('error', () => {});
/** The one difference between the modes: the guard, and the listener count it asks. */
const listen = mode === 'guarded' ? guardedRedisPubSub(publisher, subscriber).listen : upstream(new RedisPubSub({ publisher, subscriber }));

function upstream(pubsub: RedisPubSub) {
  return async (channel: string, onMessage: () => void) => {
    const id = await pubsub.subscribe(channel, onMessage);
    return () => pubsub.unsubscribe(id);
  };
}

// Without an offline queue nothing may be sent before the connection is ready.
await Promise.all([publisher, subscriber].map((client) => once(client, 'ready')));
const report = (step: Report['step']) => process.send!({ step, unhandled } satisfies Report);
const leave = await listen(channel, () => {});

async function handle(command: Command) {
  switch (command) {
    case 'leave':
      // The parent has killed Redis; once this client has noticed, the last listener leaves.
      if (subscriber.status === 'ready') await once(subscriber, 'close');
      leave();
      // Unhandled rejections are reported (or fatal) after the microtask queue drains.
      await new Promise((resolve) => setTimeout(resolve, 100));
      return report('left');
    case 'settle':
      // Redis is back: ioredis resubscribes what it still holds, then emits `ready`; a PING answered
      // after that means every command sent on `ready` (the guard's UNSUBSCRIBE too) was processed.
      if (subscriber.status !== 'ready') await once(subscriber, 'ready');
      await subscriber.ping();
      return report('settled');
    case 'deliver': {
      // A new listener on the same channel: subscribed once Redis acknowledged it, so it hears this.
      let heard!: () => void;
      const received = new Promise<void>((resolve) => (heard = resolve));
      await listen(channel, () => heard());
      await publisher.publish(channel, JSON.stringify({ hello: 'again' }));
      await received;
      return report('delivered');
    }
  }
}

process.on('message', (command: Command) => void handle(command));
report('subscribed');
