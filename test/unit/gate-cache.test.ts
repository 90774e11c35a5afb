import { describe, expect, it } from 'vitest';
import type { GateFacts } from '../../src/repositories/gate.repository.js';
import { stateFrom } from '../../src/domain/auth-status.js';
import { createMemoryBus } from '../../src/pubsub/event-bus.js';
import { GateCache, invalidatingLocally } from '../../src/services/gate-cache.js';

const T0 = new Date('2026-11-01T00:00:00Z');
const DAY = 86_400_000;

function fakeClock() {
  let now = T0.getTime();
  return { clock: () => new Date(now), advance: (ms: number) => (now += ms) };
}

/** A read that answers when told to, counting how often it was asked. */
function deferredReads<T>() {
  const pending: ((value: T) => void)[] = [];
  return {
    calls: () => pending.length,
    read: () => new Promise<T>((resolve) => pending.push(resolve)),
    answer: (i: number, value: T) => pending[i]!(value),
  };
}

describe(GateCache.name, () => {
  it('answers a second ask from memory', async () => {
    const cache = new GateCache<string>(10, fakeClock().clock);
    let reads = 0;
    const read = async () => `read ${++reads}`;
    expect(await cache.get('u1', read)).toBe('read 1');
    expect(await cache.get('u1', read)).toBe('read 1');
    expect(reads).toBe(1);
  });

  it('keeps each user’s answer apart', async () => {
    const cache = new GateCache<string>(10, fakeClock().clock);
    await cache.get('u1', async () => 'VERIFIED');
    await cache.get('u2', async () => 'UNVERIFIED');
    expect(await cache.get('u1', async () => 'wrong')).toBe('VERIFIED');
    expect(await cache.get('u2', async () => 'wrong')).toBe('UNVERIFIED');
  });

  it('reads again after the user’s entry is invalidated', async () => {
    const cache = new GateCache<string>(10, fakeClock().clock);
    await cache.get('u1', async () => 'PENDING');
    cache.invalidate('u1');
    expect(await cache.get('u1', async () => 'VERIFIED')).toBe('VERIFIED');
  });

  it('does not keep a read that was under way when the change notice came', async () => {
    const cache = new GateCache<string>(10, fakeClock().clock);
    const reads = deferredReads<string>();
    const early = cache.get('u1', reads.read);
    cache.invalidate('u1');
    const late = cache.get('u1', reads.read);
    expect(reads.calls()).toBe(2);
    reads.answer(0, 'PENDING');
    reads.answer(1, 'VERIFIED');
    expect(await early).toBe('PENDING');
    expect(await late).toBe('VERIFIED');
    expect(await cache.get('u1', async () => 'unexpected read')).toBe('VERIFIED');
  });

  it('forgets every entry and every read under way when cleared (the broker reconnected)', async () => {
    const cache = new GateCache<string>(10, fakeClock().clock);
    await cache.get('u1', async () => 'PENDING');
    const reads = deferredReads<string>();
    const flying = cache.get('u2', reads.read);
    cache.clear();
    reads.answer(0, 'PENDING');
    await flying;
    expect(await cache.get('u1', async () => 'VERIFIED')).toBe('VERIFIED');
    expect(await cache.get('u2', async () => 'VERIFIED')).toBe('VERIFIED');
  });

  it('shares one read among concurrent asks for a user', async () => {
    const cache = new GateCache<string>(10, fakeClock().clock);
    const reads = deferredReads<string>();
    const asks = [cache.get('u1', reads.read), cache.get('u1', reads.read), cache.get('u1', reads.read)];
    reads.answer(0, 'VERIFIED');
    expect(await Promise.all(asks)).toEqual(['VERIFIED', 'VERIFIED', 'VERIFIED']);
    expect(reads.calls()).toBe(1);
  });

  it('does not keep a failed read', async () => {
    const cache = new GateCache<string>(10, fakeClock().clock);
    await expect(cache.get('u1', async () => Promise.reject(new Error('database down')))).rejects.toThrow('database down');
    expect(await cache.get('u1', async () => 'VERIFIED')).toBe('VERIFIED');
  });

  it('forgets an entry after its time to live', async () => {
    const { clock, advance } = fakeClock();
    const cache = new GateCache<string>(10, clock, 30_000);
    await cache.get('u1', async () => 'old');
    advance(30_000);
    expect(await cache.get('u1', async () => 'new')).toBe('new');
  });

  it('evicts the least recently used entry beyond its size', async () => {
    const cache = new GateCache<string>(2, fakeClock().clock);
    await cache.get('u1', async () => 'one');
    await cache.get('u2', async () => 'two');
    await cache.get('u1', async () => 'unexpected read');
    await cache.get('u3', async () => 'three');
    expect(cache.size).toBe(2);
    expect(await cache.get('u1', async () => 'unexpected read')).toBe('one');
    expect(await cache.get('u2', async () => 'two again')).toBe('two again');
  });

  it('reads every time when sized 0', async () => {
    const cache = new GateCache<string>(0, fakeClock().clock);
    await cache.get('u1', async () => 'first');
    expect(await cache.get('u1', async () => 'second')).toBe('second');
    expect(cache.size).toBe(0);
  });
});

describe('gate state from cached facts', () => {
  const lockout = { failures: 3, windowSeconds: DAY / 1000 };
  const verified: GateFacts = {
    identity: { verifiedAt: new Date(T0.getTime() - 365 * DAY + DAY / 2), expiresAt: new Date(T0.getTime() + DAY / 2), verificationId: 'v-1', faceCheckedAt: new Date(T0.getTime() - 365 * DAY + DAY / 2), mode: 'LIVE', documentType: 'RESIDENT_ID_CARD' },
    latest: { id: 'v-1', status: 'VERIFIED' },
    nthFailureAt: null,
    denied: false,
  };

  it('turns a cached VERIFIED into EXPIRED at expiresAt, with no new read', () => {
    expect(stateFrom('u1', verified, lockout, T0)).toMatchObject({ status: 'VERIFIED', isValid: true, daysRemaining: 0 });
    expect(stateFrom('u1', verified, lockout, verified.identity!.expiresAt)).toMatchObject({ status: 'EXPIRED', isValid: false });
  });

  it('counts daysRemaining at the time of asking, not of reading', () => {
    const later = { ...verified, identity: { ...verified.identity!, expiresAt: new Date(T0.getTime() + 10 * DAY) } };
    expect(stateFrom('u1', later, lockout, T0).daysRemaining).toBe(10);
    expect(stateFrom('u1', later, lockout, new Date(T0.getTime() + 3 * DAY)).daysRemaining).toBe(7);
  });

  it('ends a cached LOCKED when the oldest counted failure leaves the window', () => {
    const locked: GateFacts = { identity: null, latest: { id: 'v-3', status: 'FAILED' }, nthFailureAt: new Date(T0.getTime() - DAY / 2), denied: false };
    const lockedUntil = new Date(T0.getTime() + DAY / 2);
    expect(stateFrom('u1', locked, lockout, T0)).toMatchObject({ status: 'LOCKED', lockedUntil });
    expect(stateFrom('u1', locked, lockout, new Date(lockedUntil.getTime() + 1))).toMatchObject({ status: 'FAILED', lockedUntil: null });
  });

  it('answers DENIED for a denied account or number, ahead of a valid identity', () => {
    expect(stateFrom('u1', { ...verified, denied: true }, lockout, T0)).toMatchObject({ status: 'DENIED', isValid: false });
  });
});

describe(invalidatingLocally.name, () => {
  it("drops this replica's entry when a userStatus notice is published, before the broker's echo", async () => {
    const cache = new GateCache<string>(10, () => T0);
    const bus = createMemoryBus(); // nothing listens: the echo never comes
    const published: string[] = [];
    const local = invalidatingLocally({ ...bus, publish: async (topic, key, payload) => void published.push(`${topic}:${JSON.stringify(payload)}`) }, cache);
    let reads = 0;
    const read = () => cache.get('u-1', async () => `facts ${++reads}`);
    expect(await read()).toBe('facts 1');
    await local.publish('userStatus', undefined, { userId: 'u-1' });
    expect(await read()).toBe('facts 2');
    expect(published).toEqual(['userStatus:{"userId":"u-1"}']);
  });

  it('leaves the entry of another user, and every entry on other topics', async () => {
    const cache = new GateCache<string>(10, () => T0);
    const local = invalidatingLocally(createMemoryBus(), cache);
    let reads = 0;
    const read = (userId: string) => cache.get(userId, async () => `facts ${++reads}`);
    await read('u-1');
    await local.publish('userStatus', undefined, { userId: 'u-2' });
    await local.publish('verificationResult', 'v-1', { verificationId: 'v-1', userId: 'u-1', status: 'VERIFIED', at: T0.toISOString(), change: 'moved', createdAt: T0.toISOString(), failureCode: null });
    expect(await read('u-1')).toBe('facts 1');
  });
});
