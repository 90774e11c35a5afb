import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifications } from '../../src/db/schema.js';
import type { Actor } from '../../src/domain/actor.js';
import type { EventBus } from '../../src/pubsub/event-bus.js';
import { createLogger } from '../../src/logger.js';
import { announce, moveVerification } from '../../src/services/transitions.js';
import { VerificationWatch } from '../../src/services/verification-watch.js';
import { LogCapture, startTestApp, type TestApp } from '../support/app.js';
import { startedUser, verifiedUser } from '../support/verified-user.js';

const user = (userId: string): Actor => ({ kind: 'user', userId });

/** The app's own bus (Redis here), counting what is still listening and letting a test announce a reconnect. */
function observedBus(bus: EventBus, options: { listenFails?: boolean } = {}) {
  let listening = 0;
  const reconnectListeners = new Set<() => void>();
  const observed: EventBus = {
    ...bus,
    publish: (topic, key, payload) => bus.publish(topic, key, payload),
    async listen(topic, key, onMessage) {
      if (options.listenFails) throw new Error('broker away');
      const unlisten = await bus.listen(topic, key, onMessage);
      listening++;
      return () => {
        listening--;
        unlisten();
      };
    },
    onReconnect(listener) {
      reconnectListeners.add(listener);
      return () => reconnectListeners.delete(listener);
    },
  };
  return {
    bus: observed,
    get listening() {
      return listening + reconnectListeners.size;
    },
    reconnect: () => reconnectListeners.forEach((listener) => listener()),
  };
}

/** Whether the iterator's next value arrives within `ms`. */
const settlesWithin = async (next: Promise<unknown>, ms: number) =>
  Promise.race([next.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms))]);

describe(`${VerificationWatch.name}: verificationResult`, () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ env: { START_LIMIT_PER_IP: '1000' } });
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('answers NOT_FOUND for what the actor may not see, as for no record at all', async () => {
    const { verificationId } = await startedUser(app, 'watch-owner');
    const watch = new VerificationWatch(app.db, app.bus);
    const codeOf = (actor: Actor, id: string) => watch.watch(actor, id).then(() => 'watching', (error: { code: string }) => error.code);
    expect(await codeOf(user('watch-owner'), 'not-a-uuid')).toBe('NOT_FOUND');
    expect(await codeOf(user('watch-owner'), randomUUID())).toBe('NOT_FOUND');
    expect(await codeOf(user('watch-someone-else'), verificationId)).toBe('NOT_FOUND');
    expect(await codeOf({ kind: 'operator', operatorId: 'op-watch' }, verificationId)).toBe('NOT_FOUND');
    const byService = await watch.watch({ kind: 'service', subject: 'letter-backend' }, verificationId);
    expect((await byService.next()).value).toMatchObject({ id: verificationId, status: 'PENDING' });
    await byService.return?.();
  });

  it('gives a terminal record once and ends, leaving nothing listening', async () => {
    const { verificationId } = await verifiedUser(app, 'watch-terminal');
    const observed = observedBus(app.bus);
    const states = await new VerificationWatch(app.db, observed.bus).watch(user('watch-terminal'), verificationId);
    expect((await states.next()).value).toMatchObject({ id: verificationId, status: 'VERIFIED' });
    expect(await states.next()).toEqual({ done: true, value: undefined });
    expect(observed.listening).toBe(0);
  });

  it('gives the current state, then each change, and ends at the terminal one', async () => {
    const { verificationId, certifyId } = await startedUser(app, 'watch-open');
    const observed = observedBus(app.bus);
    const states = await new VerificationWatch(app.db, observed.bus).watch(user('watch-open'), verificationId);
    expect((await states.next()).value).toMatchObject({ status: 'PENDING' });
    expect(observed.listening).toBe(2);
    expect(await app.sandbox!.complete(certifyId, 'pass')).toBe('done');
    const seen: string[] = [];
    for await (const state of states) seen.push(state.status);
    expect(seen.at(-1)).toBe('VERIFIED');
    expect(new Set(seen).size).toBe(seen.length); // each state once
    expect(observed.listening).toBe(0);
  });

  it('goes on past a state that is not final: PENDING, PROCESSING, then VERIFIED', async () => {
    const { verificationId } = await startedUser(app, 'watch-steps');
    const states = await new VerificationWatch(app.db, app.bus).watch(user('watch-steps'), verificationId);
    expect((await states.next()).value).toMatchObject({ status: 'PENDING' });
    const log = createLogger('info', new LogCapture());
    for (const to of ['PROCESSING', 'VERIFIED'] as const) {
      const moved = await app.db.transaction((tx) => moveVerification(app.audit, tx, verificationId, { to, actor: 'provider' }, new Date()));
      await announce(app.bus, log, moved!);
      expect((await states.next()).value).toMatchObject({ status: to });
    }
    expect((await states.next()).done).toBe(true);
  });

  it('yields nothing for a signal that changed nothing, reading the record once for it, and the change when it comes', async () => {
    const { verificationId, certifyId } = await startedUser(app, 'watch-noise');
    let reads = 0;
    const counting = new Proxy(app.db, {
      get: (target, prop) => (prop === 'select' ? (...args: Parameters<typeof target.select>) => (reads++, target.select(...args)) : Reflect.get(target, prop, target)),
    });
    const states = await new VerificationWatch(counting, app.bus).watch(user('watch-noise'), verificationId);
    const [row] = await app.db.select().from(verifications).where(eq(verifications.id, verificationId));
    expect((await states.next()).value).toMatchObject({ status: 'PENDING' });
    const next = states.next();
    await app.bus.publish('verificationResult', verificationId, {
      verificationId,
      userId: 'watch-noise',
      status: 'PENDING',
      at: new Date().toISOString(),
      change: 'moved',
      createdAt: row!.createdAt.toISOString(),
      failureCode: null,
    });
    expect(await settlesWithin(next, 300)).toBe(false);
    // The check before listening, the first state, and one re-read for the signal: then it waits, it does not poll.
    expect(reads).toBe(3);
    expect(await app.sandbox!.complete(certifyId, 'fail')).toBe('done');
    expect((await next).value).toMatchObject({ id: verificationId, status: 'FAILED' });
    expect((await states.next()).done).toBe(true);
  });

  it('looks again after the broker reconnects: a change published while it was away is still seen', async () => {
    const { verificationId } = await startedUser(app, 'watch-reconnect');
    const observed = observedBus(app.bus);
    const states = await new VerificationWatch(app.db, observed.bus).watch(user('watch-reconnect'), verificationId);
    expect((await states.next()).value).toMatchObject({ status: 'PENDING' });
    // Moved with no event: as if its event was published while the broker was away.
    await app.db.update(verifications).set({ status: 'CANCELED', failureCode: 'CANCELED_BY_USER', updatedAt: new Date(), completedAt: new Date() }).where(eq(verifications.id, verificationId));
    const next = states.next();
    expect(await settlesWithin(next, 200)).toBe(false);
    observed.reconnect();
    expect((await next).value).toMatchObject({ status: 'CANCELED' });
    expect((await states.next()).done).toBe(true);
  });

  it('stops listening at once when an idle subscriber leaves, before any event', async () => {
    const { verificationId } = await startedUser(app, 'watch-leave');
    const observed = observedBus(app.bus);
    const states = await new VerificationWatch(app.db, observed.bus).watch(user('watch-leave'), verificationId);
    await states.next();
    const parked = states.next();
    expect(observed.listening).toBe(2);
    await states.return?.();
    expect(observed.listening).toBe(0);
    expect(await parked).toMatchObject({ done: true });
  });

  it('answers SERVICE_UNAVAILABLE when the broker cannot take the subscription', async () => {
    const { verificationId } = await startedUser(app, 'watch-no-broker');
    const observed = observedBus(app.bus, { listenFails: true });
    const refusal = await new VerificationWatch(app.db, observed.bus).watch(user('watch-no-broker'), verificationId).catch((e: unknown) => e);
    expect(refusal).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
  });
});
