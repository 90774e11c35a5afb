import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPrivateRedis, type PrivateRedis } from './support/redis-server.js';
import type { Command, Mode, Report } from './support/unsubscribe-outage.js';

/**
 * graphql-redis-subscriptions 2.7.0, upstream issue #593: the last listener of a channel leaves
 * while Redis is down. The package's UNSUBSCRIBE is rejected unhandled (the process dies) and the
 * channel comes back subscribed after the reconnect, for ever. `guardUnsubscribe`
 * (src/pubsub/event-bus.ts) catches it and sends it again on `ready`. The day the `upstream` cases
 * fail, the package handles this itself: remove the guard and these cases with it.
 */
const UPSTREAM_FIXED = 'graphql-redis-subscriptions no longer shows issue #593: guardUnsubscribe in src/pubsub/event-bus.ts can go';
const harness = new URL('./support/unsubscribe-outage.ts', import.meta.url).pathname;

describe('the last listener leaves while Redis is down (graphql-redis-subscriptions #593)', () => {
  let redis: PrivateRedis;
  let probe: Redis;
  beforeAll(async () => {
    redis = await startPrivateRedis();
    probe = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    probe.on('error', () => {});
  });
  afterAll(async () => {
    probe?.disconnect();
    await redis?.close();
  });

  const subscribers = async (channel: string) => ((await probe.pubsub('NUMSUB', channel)) as [string, number])[1];

  /** The harness in a child process, subscribed to `channel`; `step` sends a command and waits for its report or the exit. */
  async function holder(mode: Mode, channel: string) {
    const child: ChildProcess = fork(harness, [redis.url, channel, mode], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    let output = '';
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    const exited = once(child, 'exit').then(([code]) => ({ exitCode: code as number | null }));
    const next = () => Promise.race([once(child, 'message').then(([report]) => report as Report), exited]);
    const first = await next();
    if (!('step' in first)) throw new Error(`the harness exited before it subscribed:\n${output}`);
    return {
      step: (command: Command) => {
        const reply = next();
        child.send(command);
        return reply;
      },
      output: () => output,
      kill: () => child.kill('SIGKILL'),
    };
  }

  /** Redis dies under a subscribed holder, the holder's last listener leaves, Redis comes back. */
  async function leaveDuringOutage(mode: Mode, channel: string) {
    const held = await holder(mode, channel);
    expect(await subscribers(channel)).toBe(1);
    await redis.stop();
    try {
      return { held, left: await held.step('leave') };
    } finally {
      await redis.start();
    }
  }

  it('upstream: the failed UNSUBSCRIBE is an unhandled rejection, which ends the process', async () => {
    const { held, left } = await leaveDuringOutage('upstream', `unsubscribe-test:${randomUUID()}`);
    held.kill();
    expect(left, UPSTREAM_FIXED).toEqual({ exitCode: 1 });
    expect(held.output()).toContain("Stream isn't writeable and enableOfflineQueue options is false");
  });

  it('upstream, the rejection kept from being fatal: the channel is subscribed again after the reconnect', async () => {
    const channel = `unsubscribe-test:${randomUUID()}`;
    const { held, left } = await leaveDuringOutage('upstream-observed', channel);
    try {
      expect(left).toMatchObject({ step: 'left' });
      expect((left as Report).unhandled.length, UPSTREAM_FIXED).toBeGreaterThan(0);
      expect(await held.step('settle')).toMatchObject({ step: 'settled' });
      expect(await subscribers(channel), UPSTREAM_FIXED).toBe(1);
    } finally {
      held.kill();
    }
  });

  it('guarded: the process lives, no rejection goes unhandled, the channel is gone after the reconnect and works again', async () => {
    const channel = `unsubscribe-test:${randomUUID()}`;
    const { held, left } = await leaveDuringOutage('guarded', channel);
    try {
      expect(left).toEqual({ step: 'left', unhandled: [] });
      expect(await held.step('settle')).toEqual({ step: 'settled', unhandled: [] });
      expect(await subscribers(channel)).toBe(0);
      expect(await held.step('deliver')).toEqual({ step: 'delivered', unhandled: [] });
      expect(await subscribers(channel)).toBe(1);
    } finally {
      held.kill();
    }
  });
});
