import { and, eq, isNull } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents, denylist, verifications } from '../../src/db/schema.js';
import type { Actor } from '../../src/domain/actor.js';
import { DenylistService } from '../../src/services/denylist.service.js';
import type { StartGuard } from '../../src/services/start-guard.js';
import { startTestApp, tokenFor, type TestApp } from '../support/app.js';
import { validIdNumber } from '../support/id-numbers.js';
import { startVerification, verifiedUser } from '../support/verified-user.js';

const alice: Actor = { kind: 'operator', operatorId: 'op-alice' };
const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (error: { code?: string }) => error.code,
  );

let app: TestApp;
let service: DenylistService;
beforeAll(async () => {
  app = await startTestApp({ env: { START_LIMIT_PER_IP: '100000', START_LIMIT_PER_ID_NUMBER: '1000' } });
  service = app.services.denylist;
});
afterAll(async () => {
  await app?.stop();
});

const eventsOf = (userId: string, action: string) =>
  app.db.select().from(auditEvents).where(and(eq(auditEvents.subjectUserId, userId), eq(auditEvents.action, action)));
const indexOf = async (verificationId: string) => (await app.db.select().from(verifications).where(eq(verifications.id, verificationId)))[0]!.idNumberIndex!;

/** The `userStatus` notices published while `action` runs. */
async function notices(action: () => Promise<unknown>, expected: number) {
  const seen: string[] = [];
  const unlisten = await app.bus.listen('userStatus', undefined, ({ userId }) => seen.push(userId));
  try {
    await action();
    await expect.poll(() => seen.length).toBeGreaterThanOrEqual(expected);
  } finally {
    unlisten();
  }
  return seen;
}

describe('every denylist operation', () => {
  it('is refused to users and the letter backend, FORBIDDEN', async () => {
    for (const actor of [{ kind: 'user', userId: 'dl-user' }, { kind: 'service', subject: 'letter-backend' }] as const) {
      expect(await codeOf(service.denyUser(actor, 'dl-someone', '冒用'))).toBe('FORBIDDEN');
      expect(await codeOf(service.allowUser(actor, 'dl-someone', '解除'))).toBe('FORBIDDEN');
      expect(await codeOf(service.denyIdNumber(actor, validIdNumber(), '挂失'))).toBe('FORBIDDEN');
      expect(await codeOf(service.allowIdNumber(actor, validIdNumber(), '解除'))).toBe('FORBIDDEN');
      expect(await codeOf(service.entries(actor))).toBe('FORBIDDEN');
    }
  });

  it('refuses an invalid user id, an invalid number and an empty reason, BAD_USER_INPUT', async () => {
    // The user id and the number are checked as the call is made, before any promise.
    expect(() => service.denyUser(alice, '', '冒用')).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT' }));
    expect(() => service.allowUser(alice, 'a\u0007b', '解除')).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT' }));
    expect(() => service.denyIdNumber(alice, '110101199003071234', '挂失')).toThrow(expect.objectContaining({ code: 'INVALID_ID_CARD_NUMBER' }));
    expect(await codeOf(service.denyUser(alice, 'dl-reasonless', '  '))).toBe('BAD_USER_INPUT');
    expect(await service.entries(alice)).not.toContainEqual(expect.objectContaining({ value: 'dl-reasonless' }));
  });
});

describe('a denied user', () => {
  it('is listed with the reason and the operator; a repeat changes nothing', async () => {
    expect(await service.denyUser(alice, 'dl-user-1', '冒用他人身份')).toEqual({ kind: 'USER', reference: 'dl-user-1', changed: true, affectedAccounts: 1 });
    expect((await service.denyUser(alice, 'dl-user-1', '再次')).changed).toBe(false);
    expect(await service.entries(alice)).toContainEqual(expect.objectContaining({ kind: 'USER', value: 'dl-user-1', reason: '冒用他人身份', createdBy: 'operator:op-alice' }));
  });

  it('is allowed again once; a repeat changes nothing', async () => {
    await service.denyUser(alice, 'dl-user-2', '冒用他人身份');
    expect(await service.allowUser(alice, 'dl-user-2', '误判')).toEqual({ kind: 'USER', reference: 'dl-user-2', changed: true, affectedAccounts: 1 });
    expect((await service.allowUser(alice, 'dl-user-2', '误判')).changed).toBe(false);
    expect(await service.entries(alice)).not.toContainEqual(expect.objectContaining({ value: 'dl-user-2' }));
  });

  it('sees deny_user and allow_user in their trail, with the operator, the reason and whether it changed', async () => {
    await service.denyUser(alice, 'dl-user-3', '冒用他人身份');
    await service.allowUser(alice, 'dl-user-3', '误判');
    expect((await eventsOf('dl-user-3', 'operator.deny_user')).map((e) => [e.actor, e.detail])).toEqual([['operator:op-alice', { reason: '冒用他人身份', changed: true }]]);
    expect((await eventsOf('dl-user-3', 'operator.allow_user')).map((e) => [e.actor, e.detail])).toEqual([['operator:op-alice', { reason: '误判', changed: true }]]);
  });

  it('has their cached gate answer dropped on every replica', async () => {
    expect(await notices(() => service.denyUser(alice, 'dl-user-4', '冒用他人身份'), 1)).toEqual(['dl-user-4']);
  });

  it('is refused a start with IDENTITY_DENIED, and may start once allowed', async () => {
    await service.denyUser(alice, 'dl-user-5', '冒用他人身份');
    const token = await tokenFor('dl-user-5');
    expect((await startVerification(app, token)).errors![0]!.extensions!.code).toBe('IDENTITY_DENIED');
    await service.allowUser(alice, 'dl-user-5', '误判');
    expect((await startVerification(app, token)).errors).toBeUndefined();
  });
});

describe('a denied number', () => {
  it('is held as its blind index, referred to by its first twelve characters', async () => {
    const idCardNumber = validIdNumber();
    const tried = await startVerification(app, await tokenFor('dl-num-index'), { idCardNumber });
    const index = await indexOf(tried.data!.startVerification.id);
    const change = await service.denyIdNumber(alice, idCardNumber, '证件挂失');
    expect(change).toEqual({ kind: 'ID_NUMBER', reference: index.slice(0, 12), changed: true, affectedAccounts: 1 });
    const rows = await app.db.select().from(denylist).where(eq(denylist.kind, 'ID_NUMBER'));
    expect(rows.map((r) => r.value)).toContain(index);
    expect(JSON.stringify(rows)).not.toContain(idCardNumber);
    expect((await service.allowIdNumber(alice, idCardNumber, '挂失解除')).changed).toBe(true);
    expect((await service.allowIdNumber(alice, idCardNumber, '挂失解除')).changed).toBe(false);
  });

  it('leaves an event in every account bound to it or having tried it, each told at once', async () => {
    const idCardNumber = validIdNumber();
    await startVerification(app, await tokenFor('dl-num-tried'), { idCardNumber });
    await verifiedUser(app, 'dl-num-bound', { idCardNumber });
    const told = await notices(async () => expect((await service.denyIdNumber(alice, idCardNumber, '证件挂失')).affectedAccounts).toBe(2), 2);
    expect(told.sort()).toEqual(['dl-num-bound', 'dl-num-tried']);
    for (const userId of ['dl-num-bound', 'dl-num-tried']) {
      const [event] = await eventsOf(userId, 'operator.deny_id_number');
      expect(event).toMatchObject({ actor: 'operator:op-alice', detail: { reason: '证件挂失', changed: true, indexRef: expect.stringMatching(/^.{12}$/) } });
    }
    await service.allowIdNumber(alice, idCardNumber, '挂失解除');
    expect((await eventsOf('dl-num-bound', 'operator.allow_id_number'))[0]!.detail).toMatchObject({ reason: '挂失解除', changed: true });
  });

  it('leaves one event with no subject when no account holds it', async () => {
    expect((await service.denyIdNumber(alice, validIdNumber(), '预防性挂失')).affectedAccounts).toBe(0);
    const events = await app.db.select().from(auditEvents).where(and(isNull(auditEvents.subjectUserId), eq(auditEvents.action, 'operator.deny_id_number')));
    expect(events.map((e) => e.detail.reason)).toContain('预防性挂失');
  });

  it('refuses a start with it, IDENTITY_DENIED, until allowed', async () => {
    const idCardNumber = validIdNumber();
    await service.denyIdNumber(alice, idCardNumber, '证件挂失');
    const token = await tokenFor('dl-num-start');
    expect((await startVerification(app, token, { idCardNumber })).errors![0]!.extensions!.code).toBe('IDENTITY_DENIED');
    await service.allowIdNumber(alice, idCardNumber, '挂失解除');
    expect((await startVerification(app, token, { idCardNumber })).errors).toBeUndefined();
  });
});

describe('guard', () => {
  const recording = () => {
    const calls: string[] = [];
    const inner: StartGuard = { check: async (userId) => void calls.push(userId) };
    return { calls, inner };
  };

  it('refuses a denied user before the inner guard spends any budget', async () => {
    await service.denyUser(alice, 'dl-guard-user', '冒用他人身份');
    const { calls, inner } = recording();
    expect(await codeOf(service.guard(inner).check('dl-guard-user', 'no-such-index', {}))).toBe('IDENTITY_DENIED');
    expect(calls).toEqual([]);
  });

  it('refuses a denied number only after the inner guard, so probing the list costs like any start', async () => {
    const idCardNumber = validIdNumber();
    const tried = await startVerification(app, await tokenFor('dl-guard-probe'), { idCardNumber });
    const index = await indexOf(tried.data!.startVerification.id);
    await service.denyIdNumber(alice, idCardNumber, '证件挂失');
    const { calls, inner } = recording();
    expect(await codeOf(service.guard(inner).check('dl-guard-prober', index, {}))).toBe('IDENTITY_DENIED');
    expect(calls).toEqual(['dl-guard-prober']);
  });

  it('lets anyone else through the inner guard', async () => {
    const { calls, inner } = recording();
    expect(await codeOf(service.guard(inner).check('dl-guard-free', 'no-such-index', {}))).toBe('resolved');
    expect(calls).toEqual(['dl-guard-free']);
  });
});
