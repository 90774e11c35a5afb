import { and, eq, isNull } from 'drizzle-orm';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents, consents, lockoutResets, verifications, webhookEvents } from '../../src/db/schema.js';
import type { Actor } from '../../src/domain/actor.js';
import { SupportService } from '../../src/services/support.service.js';
import { startTestApp, tokenFor, type TestApp } from '../support/app.js';
import { TEST_REDIS_URL } from '../support/database.js';
import { validIdNumber } from '../support/id-numbers.js';
import { FACE_MISMATCH_NUMBER, unfindableUser } from '../support/operator.js';
import { startVerification, verifiedUser } from '../support/verified-user.js';
import { TEST_WEBHOOK_SECRET } from '../support/webhook-receiver.js';

const user = (userId: string): Actor => ({ kind: 'user', userId });
const operator = (operatorId: string): Actor => ({ kind: 'operator', operatorId });
const service: Actor = { kind: 'service', subject: 'letter-backend' };
const alice = operator('op-alice');

const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => ({ code: 'resolved' as string | undefined, details: undefined as Record<string, unknown> | undefined }),
    (error: { code?: string; details?: Record<string, unknown>; message?: string }) => ({ code: error.code, details: error.details, message: error.message }),
  );
const codeOf = async (promise: Promise<unknown>) => (await failureOf(promise)).code;

let app: TestApp;
let support: SupportService;
beforeAll(async () => {
  app = await startTestApp({
    env: {
      LOCKOUT_FAILURES: '2',
      REVEAL_LIMIT_PER_OPERATOR: '2',
      START_LIMIT_PER_ID_NUMBER: '1000',
      START_LIMIT_PER_IP: '100000',
      // The outbox records revocations for a webhook no delivery reaches (its worker waits an hour).
      WEBHOOK_URL: 'http://127.0.0.1:9/hooks',
      WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
      WEBHOOK_POLL_INTERVAL_SECONDS: '3600',
    },
  });
  support = app.services.support;
});
afterAll(async () => {
  await app?.stop();
});

const eventsOf = (userId: string, action: string) =>
  app.db.select().from(auditEvents).where(and(eq(auditEvents.subjectUserId, userId), eq(auditEvents.action, action)));

/** A user whose attempt failed the face check (SubCode 204): FAILED, counted towards the lockout. */
async function faceFailure(userId: string) {
  const started = await startVerification(app, await tokenFor(userId), { realName: '王五', idCardNumber: FACE_MISMATCH_NUMBER });
  expect(await app.sandbox!.complete(started.data!.startVerification.certifyId, 'pass')).toBe('done');
  return started.data!.startVerification.id as string;
}

/** The `userStatus` notices published while `action` runs. */
async function notices(action: () => Promise<unknown>) {
  const seen: string[] = [];
  const unlisten = await app.bus.listen('userStatus', undefined, ({ userId }) => seen.push(userId));
  try {
    await action();
    await expect.poll(() => seen.length).toBeGreaterThan(0);
  } finally {
    unlisten();
  }
  return seen;
}

describe('every support operation', () => {
  it('is refused to users and the letter backend, FORBIDDEN', async () => {
    const calls = (actor: Actor) => [
      support.adminUser(actor, 'someone'),
      support.revealIdentity(actor, 'someone', '核实身份'),
      support.findAccountsByIdNumber(actor, validIdNumber(), '排查'),
      support.unlockUser(actor, 'someone', '解除锁定'),
      support.releaseIdentity(actor, 'someone', '身份被冒用'),
    ];
    for (const actor of [user('someone'), service]) {
      for (const call of calls(actor)) expect(await codeOf(call)).toBe('FORBIDDEN');
    }
  });

  it('refuses a user id that is empty or holds control characters, BAD_USER_INPUT', async () => {
    for (const userId of ['', 'a\u0000b']) {
      expect(await codeOf(support.adminUser(alice, userId))).toBe('BAD_USER_INPUT');
      expect(await codeOf(support.unlockUser(alice, userId, '解除锁定'))).toBe('BAD_USER_INPUT');
    }
  });
});

describe('adminUser', () => {
  it("gives the attempts newest first, the consents without their address, and the bound identity's verification", async () => {
    const failedId = await faceFailure('au-facts');
    const verified = await verifiedUser(app, 'au-facts');
    const facts = await support.adminUser(alice, 'au-facts');
    expect(facts).toMatchObject({ userId: 'au-facts', state: { status: 'VERIFIED' }, deniedReason: null, identityVerificationId: verified.verificationId });
    expect(facts.attempts.map((a) => a.id)).toEqual([verified.verificationId, failedId]);
    const stored = await app.db.select().from(consents).where(eq(consents.userId, 'au-facts'));
    expect(facts.consents).toHaveLength(stored.length);
    for (const consent of facts.consents) expect(Object.keys(consent).sort()).toEqual(['acceptedAt', 'biometric', 'purpose', 'version']);
  });

  it('has no identity verification for an unverified user', async () => {
    await faceFailure('au-unverified');
    expect((await support.adminUser(alice, 'au-unverified')).identityVerificationId).toBeNull();
  });

  it("gives the denylist's reason for a denied user, and a fixed one for a denied number", async () => {
    await app.services.denylist.denyUser(alice, 'au-denied', '冒用他人身份');
    expect((await support.adminUser(alice, 'au-denied')).deniedReason).toBe('冒用他人身份');
    const bound = await verifiedUser(app, 'au-denied-number');
    await app.services.denylist.denyIdNumber(alice, bound.idCardNumber, '证件挂失');
    expect((await support.adminUser(alice, 'au-denied-number')).deniedReason).toBe('证件号码已被列入禁止名单');
  });

  it('writes a read_user event with the operator and the reason given, or a default one', async () => {
    await support.adminUser(alice, 'au-read', '  用户来电\n咨询 ');
    await support.adminUser(operator('op-bob'), 'au-read');
    const events = await eventsOf('au-read', 'operator.read_user');
    expect(events.map((e) => [e.actor, e.detail])).toEqual([
      ['operator:op-alice', { reason: '用户来电 咨询' }],
      ['operator:op-bob', { reason: '查看用户详情' }],
    ]);
  });
});

describe('auditTrail', () => {
  it('takes first from 1 to 200 only', async () => {
    for (const first of [0, 201, 2.5]) expect(await codeOf(support.auditTrail('at-bounds', first, null))).toBe('BAD_USER_INPUT');
    expect((await support.auditTrail('at-bounds', 200, null)).events).toEqual([]);
    expect((await support.auditTrail('at-bounds', 1, null)).hasNextPage).toBe(false);
  });

  it('refuses a cursor that is no whole number', async () => {
    for (const after of ['abc', '1.5', '99999999999999999999']) {
      expect(await failureOf(support.auditTrail('at-cursor', 10, after))).toMatchObject({ code: 'BAD_USER_INPUT', message: 'after 游标无效' });
    }
  });

  it('pages newest first: a next page only when more events follow, the end cursor the last seq shown', async () => {
    await verifiedUser(app, 'at-pages');
    const all = await support.auditTrail('at-pages', 200, null);
    const seqs = all.events.map((e) => Number(e.seq));
    expect(seqs.length).toBeGreaterThanOrEqual(2);
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a));
    expect(all).toMatchObject({ hasNextPage: false, endCursor: all.events.at(-1)!.seq });

    const first = await support.auditTrail('at-pages', 1, null);
    expect(first).toMatchObject({ hasNextPage: true, endCursor: String(seqs[0]) });
    expect(first.events).toEqual([all.events[0]]);
    const rest = await support.auditTrail('at-pages', 200, first.endCursor);
    expect(rest.events).toEqual(all.events.slice(1));
    expect(rest.events[0]).toEqual({ seq: expect.any(String), at: expect.any(Date), actor: expect.any(String), action: expect.any(String), verificationId: expect.anything(), detail: expect.any(Object) });
  });

  it('has no end cursor when there is nothing to show', async () => {
    expect(await support.auditTrail('at-nobody', 10, null)).toEqual({ events: [], hasNextPage: false, endCursor: null });
  });
});

describe('revealIdentity', () => {
  it("shows the bound identity's name and number, audited with the reason and the verification", async () => {
    const bound = await verifiedUser(app, 'rv-bound', { name: '赵六' });
    const shown = await support.revealIdentity(operator('op-reveal-1'), 'rv-bound', '用户申诉核实');
    expect(shown).toEqual({ userId: 'rv-bound', verificationId: bound.verificationId, realName: '赵六', idCardNumber: bound.idCardNumber });
    const [event] = await eventsOf('rv-bound', 'operator.reveal_identity');
    expect(event).toMatchObject({ actor: 'operator:op-reveal-1', verificationId: bound.verificationId, detail: { reason: '用户申诉核实' } });
  });

  it('shows the latest attempt of a user with no identity', async () => {
    const failed = await unfindableUser(app, 'rv-latest', '孙七');
    const shown = await support.revealIdentity(operator('op-reveal-2'), 'rv-latest', '用户申诉核实');
    expect(shown).toMatchObject({ verificationId: failed.verificationId, realName: '孙七' });
  });

  it('answers NOT_FOUND for a user with no attempt, or one whose name was erased', async () => {
    const nothing = { code: 'NOT_FOUND', message: '该用户没有可查看的身份信息' };
    expect(await failureOf(support.revealIdentity(operator('op-reveal-3'), 'rv-nobody', '核实'))).toMatchObject(nothing);
    const failed = await unfindableUser(app, 'rv-erased');
    await app.db.update(verifications).set({ nameCipher: null }).where(eq(verifications.id, failed.verificationId));
    expect(await failureOf(support.revealIdentity(operator('op-reveal-3'), 'rv-erased', '核实'))).toMatchObject(nothing);
    expect(await eventsOf('rv-erased', 'operator.reveal_identity')).toEqual([]);
  });

  it('allows each operator REVEAL_LIMIT_PER_OPERATOR reveals per window, then RATE_LIMITED with the seconds to wait', async () => {
    await verifiedUser(app, 'rv-limit');
    const limited = operator('op-reveal-limit');
    await support.revealIdentity(limited, 'rv-limit', '核实一');
    await support.revealIdentity(limited, 'rv-limit', '核实二');
    const refused = await failureOf(support.revealIdentity(limited, 'rv-limit', '核实三'));
    expect(refused).toMatchObject({ code: 'RATE_LIMITED', message: '查看完整身份信息过于频繁,请稍后再试' });
    const redis = new Redis(TEST_REDIS_URL);
    try {
      // Kept in Redis under the deployment's prefix, so every replica counts the same reveals.
      expect(await redis.get(`${app.config.REDIS_KEY_PREFIX}rl:reveal:op-reveal-limit`)).toBe('3');
    } finally {
      redis.disconnect();
    }
    const retryAfter = refused.details!.retryAfter as number;
    expect(retryAfter).toBeGreaterThan(3000);
    expect(retryAfter).toBeLessThanOrEqual(3600);
    expect(await eventsOf('rv-limit', 'operator.reveal_identity')).toHaveLength(2);
    expect((await support.revealIdentity(operator('op-reveal-other'), 'rv-limit', '核实四')).userId).toBe('rv-limit');
  });

  it('refuses a reason holding an ID number before spending a reveal', async () => {
    await verifiedUser(app, 'rv-reason');
    const careful = operator('op-reveal-reason');
    expect(await codeOf(support.revealIdentity(careful, 'rv-reason', `核实 ${validIdNumber()}`))).toBe('BAD_USER_INPUT');
    await support.revealIdentity(careful, 'rv-reason', '核实一');
    expect((await support.revealIdentity(careful, 'rv-reason', '核实二')).userId).toBe('rv-reason');
  });
});

describe('findAccountsByIdNumber', () => {
  it('lists the bound account first, then those that only tried the number, once each', async () => {
    const idCardNumber = validIdNumber();
    for (let n = 0; n < 2; n++) expect((await startVerification(app, await tokenFor('fa-tryer'), { idCardNumber })).errors).toBeUndefined();
    await unfindableUser(app, 'fa-unrelated');
    await verifiedUser(app, 'fa-owner', { idCardNumber });
    expect(await support.findAccountsByIdNumber(alice, idCardNumber, '排查冒用')).toEqual(['fa-owner', 'fa-tryer']);
  });

  it('leaves a find_accounts event with the reason and the count in each account found', async () => {
    const owner = await verifiedUser(app, 'fa-audited');
    await support.findAccountsByIdNumber(alice, owner.idCardNumber, '排查冒用');
    const [event] = await eventsOf('fa-audited', 'operator.find_accounts');
    expect(event).toMatchObject({ actor: 'operator:op-alice', detail: { reason: '排查冒用', found: 1 } });
  });

  it('leaves one event with no subject when no account holds the number', async () => {
    expect(await support.findAccountsByIdNumber(alice, validIdNumber(), '排查无主号码')).toEqual([]);
    const events = await app.db.select().from(auditEvents).where(and(isNull(auditEvents.subjectUserId), eq(auditEvents.action, 'operator.find_accounts')));
    expect(events.map((e) => e.detail)).toContainEqual({ reason: '排查无主号码', found: 0 });
  });

  it('refuses a number whose check digit is wrong', async () => {
    expect(await codeOf(support.findAccountsByIdNumber(alice, '110101199003071234', '排查'))).toBe('INVALID_ID_CARD_NUMBER');
  });
});

describe('unlockUser', () => {
  it('lifts the lockout, audits it, and tells every replica the status changed', async () => {
    await faceFailure('ul-locked');
    await faceFailure('ul-locked');
    expect((await app.services.authStatus.currentStatusOf('ul-locked')).status).toBe('LOCKED');
    let state: Awaited<ReturnType<SupportService['unlockUser']>> | undefined;
    expect(await notices(async () => (state = await support.unlockUser(alice, 'ul-locked', '用户已核实,解除锁定')))).toContain('ul-locked');
    expect(state!.status).toBe('FAILED');
    const [event] = await eventsOf('ul-locked', 'operator.unlock_user');
    expect(event).toMatchObject({ actor: 'operator:op-alice', detail: { reason: '用户已核实,解除锁定' } });
    expect(await app.db.select().from(lockoutResets).where(eq(lockoutResets.userId, 'ul-locked'))).toMatchObject([{ resetBy: 'operator:op-alice' }]);
  });

  it('still lifts the lockout when the notice cannot be published, and says so in the log', async () => {
    await faceFailure('ul-no-broker');
    await faceFailure('ul-no-broker');
    const publish = app.bus.publish;
    app.bus.publish = () => Promise.reject(new Error('broker away'));
    try {
      expect((await support.unlockUser(alice, 'ul-no-broker', '用户已核实,解除锁定')).status).toBe('FAILED');
    } finally {
      app.bus.publish = publish;
    }
    const warned = app.logs.lines.map((line) => JSON.parse(line)).filter((line) => line.msg === 'publish failed; gate caches expire');
    expect(warned).toContainEqual(expect.objectContaining({ level: 40, err: 'Error: broker away' }));
  });
});

describe('releaseIdentity', () => {
  it('removes the binding, audits it as released, and tells every replica', async () => {
    await verifiedUser(app, 'ri-thief');
    let state: Awaited<ReturnType<SupportService['releaseIdentity']>> | undefined;
    expect(await notices(async () => (state = await support.releaseIdentity(alice, 'ri-thief', '身份被冒用')))).toContain('ri-thief');
    expect(state!.status).toBe('UNVERIFIED');
    const [event] = await eventsOf('ri-thief', 'operator.release_identity');
    expect(event).toMatchObject({ actor: 'operator:op-alice', detail: { reason: '身份被冒用', released: true } });
    const revoked = await app.db.select().from(webhookEvents).where(and(eq(webhookEvents.userId, 'ri-thief'), eq(webhookEvents.type, 'identity.revoked')));
    expect(revoked.map((e) => JSON.parse(e.body).data)).toMatchObject([{ reason: 'RELEASED' }]);
  });

  it('answers NOT_FOUND when nothing is bound, and records that nothing was released', async () => {
    expect(await failureOf(support.releaseIdentity(alice, 'ri-nobody', '身份被冒用'))).toMatchObject({ code: 'NOT_FOUND', message: '该用户没有已绑定的身份' });
    const [event] = await eventsOf('ri-nobody', 'operator.release_identity');
    expect(event!.detail).toEqual({ reason: '身份被冒用', released: false });
  });
});
