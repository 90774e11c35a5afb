import 'reflect-metadata';
import { asc, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents, consents, identities, masterKeyVersions, pendingAuditEvents, userKeys, verifications, webhookEvents } from '../../src/db/schema.js';
import { TEST_WEBHOOK_SECRET } from '../support/webhook-receiver.js';
import { PersonalDataService } from '../../src/services/personal-data.service.js';
import { gql, redactorToken, serviceToken, startTestApp, tokenFor, type TestApp } from '../support/app.js';
import { DELETE, EXPORT, REDACT, startedUser, STATUS, TEST_USER_AGENT, verifiedUser } from '../support/verified-user.js';

const DAY_MS = 86_400_000;

describe(PersonalDataService.name, () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ env: { START_LIMIT_PER_IP: '1000' } });
  });
  afterAll(async () => {
    await app?.stop();
  });

  const verificationRow = async (id: string) => (await app.db.select().from(verifications).where(eq(verifications.id, id)))[0]!;

  describe('exportMyData', () => {
    it("returns the caller's verifications decrypted, consents, identity binding and audit events", async () => {
      const user = await verifiedUser(app, 'export-owner', { name: '张三' });
      const res = await gql(app, EXPORT, {}, user.token);
      expect(res.errors).toBeUndefined();
      const data = res.data!.exportMyData;
      expect(data.userId).toBe('export-owner');
      expect(data.verifications).toEqual([
        expect.objectContaining({ id: user.verificationId, status: 'VERIFIED', realName: '张三', idCardNumber: user.idCardNumber }),
      ]);
      expect(data.consents).toEqual([expect.objectContaining({ version: expect.any(String), biometric: true, userAgent: TEST_USER_AGENT, clientIp: expect.stringContaining('127.0.0.1') })]);
      expect(data.verifications[0].consentId).toBe(data.consents[0].id);
      expect(data.identity).toMatchObject({ verificationId: user.verificationId, faceCheckedAt: data.identity.verifiedAt });
      expect(data.auditEvents.map((e: { action: string }) => e.action)).toEqual(['verification.started', 'verification.verified']);
    });

    it('hands out a seq beyond Int as a decimal string and the detail as an object', async () => {
      const beyondInt = 2 ** 31 + 7;
      await app.db.execute(sql`select setval(pg_get_serial_sequence('audit_events', 'seq'), ${beyondInt}::bigint)`);
      const user = await verifiedUser(app, 'export-bigseq');
      const res = await gql(app, EXPORT, {}, user.token);
      expect(res.errors).toBeUndefined();
      const rows = await app.db.select().from(auditEvents).where(eq(auditEvents.subjectUserId, 'export-bigseq')).orderBy(asc(auditEvents.seq));
      const started = rows.find((e) => e.action === 'verification.started')!;
      expect(started.seq).toBeGreaterThan(beyondInt);
      expect(res.data!.exportMyData.auditEvents).toContainEqual(
        expect.objectContaining({ action: 'verification.started', seq: String(started.seq), detail: started.detail }),
      );
      expect(Object.keys(started.detail).length).toBeGreaterThan(0);
    });

    it("shows another user only their own data", async () => {
      await verifiedUser(app, 'export-first', { name: '张三' });
      const other = await verifiedUser(app, 'export-second', { name: '李四' });
      const res = await gql(app, EXPORT, {}, other.token);
      const data = res.data!.exportMyData;
      expect(data.verifications.map((v: { realName: string }) => v.realName)).toEqual(['李四']);
      expect(data.auditEvents.every((e: { verificationId: string | null }) => e.verificationId === other.verificationId)).toBe(true);
      expect(JSON.stringify(data)).not.toContain('export-first');
    });

    it('refuses a service token', async () => {
      const res = await gql(app, EXPORT, {}, await serviceToken());
      expect(res.errors![0]!.extensions!.code).toBe('FORBIDDEN');
      expect(res.data).toBeNull();
    });

    it('is itself audited', async () => {
      const user = await verifiedUser(app, 'export-audited');
      await gql(app, EXPORT, {}, user.token);
      const events = await app.db.select().from(auditEvents).where(eq(auditEvents.subjectUserId, 'export-audited'));
      expect(events.map((e) => e.action)).toContain('personal_data.exported');
    });
  });

  describe('deleteMyData', () => {
    it('shreds the data key and nulls the ciphers, the blind index and the consent IP and user agent', async () => {
      const user = await verifiedUser(app, 'delete-shred');
      const res = await gql(app, DELETE, {}, user.token);
      expect(res.data!.deleteMyData).toMatchObject({ dataKeyShredded: true, verificationsErased: 1, consentsErased: 1, identitiesRemoved: 1 });
      expect(await app.db.select().from(userKeys).where(eq(userKeys.userId, user.userId))).toEqual([]);
      expect(await verificationRow(user.verificationId)).toMatchObject({ nameCipher: null, idNumberCipher: null, idNumberIndex: null });
      expect(await app.db.select().from(consents).where(eq(consents.userId, user.userId))).toEqual([
        expect.objectContaining({ clientIp: null, userAgent: null, biometric: true }),
      ]);
    });

    it('keeps that the verification happened, its status and times', async () => {
      const user = await verifiedUser(app, 'delete-facts');
      const before = await verificationRow(user.verificationId);
      await gql(app, DELETE, {}, user.token);
      const after = await verificationRow(user.verificationId);
      expect(after).toMatchObject({ status: 'VERIFIED', createdAt: before.createdAt, completedAt: before.completedAt, userId: user.userId });
    });

    it('leaves ciphers copied before the deletion undecryptable', async () => {
      const user = await verifiedUser(app, 'delete-backup');
      const backup = await verificationRow(user.verificationId);
      await gql(app, DELETE, {}, user.token);
      const reopened = await app.services.vault.openText(user.userId, [
        { aad: { table: 'verifications', column: 'name_cipher', rowId: backup.id }, sealed: backup.nameCipher },
        { aad: { table: 'verifications', column: 'id_number_cipher', rowId: backup.id }, sealed: backup.idNumberCipher },
      ]);
      expect(reopened).toEqual([null, null]);
    });

    it('leaves the user UNVERIFIED and their number free for another account', async () => {
      const user = await verifiedUser(app, 'delete-unbind');
      expect((await gql(app, STATUS, { u: user.userId }, await serviceToken())).data!.userAuthStatus.status).toBe('VERIFIED');
      await gql(app, DELETE, {}, user.token);
      const status = await gql(app, STATUS, { u: user.userId }, await serviceToken());
      expect(status.data!.userAuthStatus).toEqual({ status: 'UNVERIFIED', isValid: false });
      await verifiedUser(app, 'delete-unbind-next', { idCardNumber: user.idCardNumber });
      const next = await gql(app, STATUS, { u: 'delete-unbind-next' }, await serviceToken());
      expect(next.data!.userAuthStatus).toEqual({ status: 'VERIFIED', isValid: true });
    });

    it('cancels an open verification', async () => {
      const user = await startedUser(app, 'delete-open');
      const res = await gql(app, DELETE, {}, user.token);
      expect(res.data!.deleteMyData.verificationsCanceled).toBe(1);
      expect((await verificationRow(user.verificationId)).status).toBe('CANCELED');
      expect(await app.sandbox!.complete(user.certifyId, 'pass')).toBe('done');
      expect((await verificationRow(user.verificationId)).status).toBe('CANCELED');
    });

    it('keeps the audit chain verifying', async () => {
      const user = await verifiedUser(app, 'delete-chain');
      await gql(app, DELETE, {}, user.token);
      expect(await app.audit.verify(app.db)).toMatchObject({ ok: true });
      const actions = (await app.db.select().from(auditEvents).where(eq(auditEvents.subjectUserId, user.userId)).orderBy(auditEvents.seq)).map((e) => e.action);
      expect(actions).toEqual(['verification.started', 'verification.verified', 'personal_data.erased']);
    });
  });

  describe('the deletion receipt', () => {
    it('says the live copies are unreadable from the erasure on', async () => {
      const user = await verifiedUser(app, 'receipt-live');
      const receipt = (await gql(app, DELETE, {}, user.token)).data!.deleteMyData;
      expect(receipt.liveCopiesUnreadableAt).toBe(receipt.erasedAt);
      expect(receipt.notice).toContain('在线系统中的全部副本自此无法解密');
    });

    it('names the master key versions a backup may still open the data key with, and the earliest they can be retired', async () => {
      const user = await verifiedUser(app, 'receipt-backups');
      const receipt = (await gql(app, DELETE, {}, user.token)).data!.deleteMyData;
      expect(receipt.backupKeyVersions).toEqual([1]);
      expect(Date.parse(receipt.backupsUnreadableFrom) - Date.parse(receipt.erasedAt)).toBe(30 * DAY_MS);
      const day = new Date(Date.parse(receipt.backupsUnreadableFrom) + 8 * 3_600_000).toISOString().slice(0, 10);
      expect(receipt.notice).toContain(`仍以主密钥 v1 封装`);
      expect(receipt.notice).toContain(`最早于 ${day} 停用销毁`);
    });

    it('promises nothing of backups when the user had no data key', async () => {
      const receipt = (await gql(app, DELETE, {}, await tokenFor('receipt-nothing'))).data!.deleteMyData;
      expect(receipt).toMatchObject({ dataKeyShredded: false, backupKeyVersions: [], backupsUnreadableFrom: null });
    });
  });

  describe('redactUser', () => {
    it("lets a service holding realname:redact erase a user's personal data", async () => {
      const user = await verifiedUser(app, 'redact-target');
      const res = await gql(app, REDACT, { userId: user.userId }, await redactorToken());
      expect(res.data!.redactUser).toEqual({ userId: user.userId, dataKeyShredded: true, verificationsErased: 1, identitiesRemoved: 1 });
      expect(await app.db.select().from(identities).where(eq(identities.userId, user.userId))).toEqual([]);
    });

    it('refuses an end user', async () => {
      const res = await gql(app, REDACT, { userId: 'someone-else' }, await tokenFor('redact-attacker'));
      expect(res.errors![0]!.extensions!.code).toBe('FORBIDDEN');
    });

    it("refuses the letter backend's token (realname:service alone)", async () => {
      const user = await verifiedUser(app, 'redact-by-backend');
      const res = await gql(app, REDACT, { userId: user.userId }, await serviceToken());
      expect(res.errors![0]!.extensions!.code).toBe('FORBIDDEN');
      expect(await app.db.select().from(identities).where(eq(identities.userId, user.userId))).toHaveLength(1);
    });
  });

  describe('data.accessed', () => {
    const accessEvents = async (userId: string) => {
      await app.services.accessLog.seal();
      return app.db.select().from(auditEvents).where(eq(auditEvents.subjectUserId, userId)).orderBy(auditEvents.seq).then((rows) => rows.filter((e) => e.action === 'data.accessed'));
    };

    it("records each service read of a user's status, gate answer and verification, without PII", async () => {
      const user = await verifiedUser(app, 'accessed-by-service');
      const token = await serviceToken();
      await gql(app, STATUS, { u: user.userId }, token);
      await gql(app, `mutation($u: ID) { verifyIdentity(userId: $u) { passed } }`, { u: user.userId }, token);
      await gql(app, `query($id: ID!) { verification(id: $id) { status maskedName } }`, { id: user.verificationId }, token);
      const events = await accessEvents(user.userId);
      expect(events.map((e) => [e.actor, e.detail])).toEqual([
        ['service:letter-backend', { read: 'userAuthStatus' }],
        ['service:letter-backend', { read: 'verifyIdentity' }],
        ['service:letter-backend', { read: 'verification' }],
      ]);
      expect(JSON.stringify(events)).not.toContain(user.idCardNumber.slice(6, 14));
      expect(await app.audit.verify(app.db)).toMatchObject({ ok: true });
    });

    it('records nothing when users read their own data', async () => {
      const user = await verifiedUser(app, 'accessed-by-self');
      await gql(app, STATUS, {}, user.token);
      expect(await accessEvents(user.userId)).toEqual([]);
    });

    it('records one event per read when many arrive at once', async () => {
      const token = await serviceToken();
      await Promise.all(Array.from({ length: 25 }, () => gql(app, STATUS, { u: 'accessed-burst' }, token)));
      expect(await accessEvents('accessed-burst')).toHaveLength(25);
    });

    it('chains each queued read exactly once', async () => {
      await gql(app, STATUS, { u: 'accessed-queue' }, await serviceToken());
      await app.services.accessLog.seal();
      expect(await app.db.select().from(pendingAuditEvents).where(eq(pendingAuditEvents.subjectUserId, 'accessed-queue'))).toEqual([]);
      expect(await accessEvents('accessed-queue')).toHaveLength(1);
    });
  });
});

describe('the deletion receipt after a key rotation', () => {
  const V1 = `v1:${Buffer.alloc(32, 7).toString('base64')}`;
  const V2 = `v2:${Buffer.alloc(32, 8).toString('base64')}`;
  let app: TestApp;
  let frozen: Date | null = null;
  beforeAll(async () => {
    app = await startTestApp({
      // Webhooks on (nothing listens; the outbox is what is checked), and a clock a test may stop.
      env: { START_LIMIT_PER_IP: '1000', REALNAME_MASTER_KEY: `${V1},${V2}`, BACKUP_RETENTION_DAYS: '7', WEBHOOK_URL: 'http://127.0.0.1:9/hooks', WEBHOOK_SECRET: TEST_WEBHOOK_SECRET, WEBHOOK_POLL_INTERVAL_SECONDS: '3600' },
      overrides: { clock: () => frozen ?? new Date() },
    });
  });
  afterAll(async () => {
    await app?.stop();
  });
  const erase = async (userId: string) => {
    const user = await verifiedUser(app, userId);
    return app.services.personalData.deleteMine({ kind: 'user', userId: user.userId });
  };

  it('names every version up to the one wrapping the key, oldest first, and BACKUP_RETENTION_DAYS later', async () => {
    const receipt = await erase('rotated-both');
    expect((await app.db.select().from(userKeys).where(eq(userKeys.userId, 'rotated-both')))).toEqual([]);
    expect(receipt).toMatchObject({ dataKeyShredded: true, backupKeyVersions: [1, 2], verificationsCanceled: 0, verificationsErased: 1, identitiesRemoved: 1, consentsErased: 1, faceImagesRemoved: 0 });
    expect(receipt.backupsUnreadableFrom!.getTime() - receipt.erasedAt.getTime()).toBe(7 * DAY_MS);
    expect(receipt.notice).toContain('数据备份最长保留 7 天,其中的副本仍以主密钥 v1、v2 封装');
  });

  it('leaves out a retired version, and says backups are unreadable too once every version is retired', async () => {
    await app.db.insert(masterKeyVersions).values({ version: 1, emptiedAt: new Date(), retiredAt: new Date() }).onConflictDoUpdate({ target: masterKeyVersions.version, set: { retiredAt: new Date() } });
    const oneLeft = await erase('rotated-one-left');
    expect(oneLeft.backupKeyVersions).toEqual([2]);
    expect(oneLeft.notice).toContain('仍以主密钥 v2 封装');

    await app.db.insert(masterKeyVersions).values({ version: 2, emptiedAt: new Date(), retiredAt: new Date() }).onConflictDoUpdate({ target: masterKeyVersions.version, set: { retiredAt: new Date() } });
    const none = await erase('rotated-none-left');
    expect(none).toMatchObject({ dataKeyShredded: true, backupKeyVersions: [] });
    expect(none.notice).toContain('封装该密钥的主密钥版本均已停用销毁,备份中的副本同样无法解密');
    await app.db.delete(masterKeyVersions);
  });

  it('names only the versions up to the one that wraps this user\'s key: a key not yet rotated to v2', async () => {
    const user = await verifiedUser(app, 'rotated-not-yet');
    await app.db.update(userKeys).set({ keyVersion: 1 }).where(eq(userKeys.userId, user.userId));
    const receipt = await app.services.personalData.deleteMine({ kind: 'user', userId: user.userId });
    expect(receipt.backupKeyVersions).toEqual([1]);
    expect(receipt.notice).toContain('仍以主密钥 v1 封装');
  });

  it('dates the notice in Beijing time: an erasure at 17:00 UTC is the next day there', async () => {
    const user = await verifiedUser(app, 'rotated-beijing');
    frozen = new Date('2026-12-03T17:00:00.000Z');
    try {
      const receipt = await app.services.personalData.deleteMine({ kind: 'user', userId: user.userId });
      expect(receipt.notice).toContain('您的数据密钥已于 2026-12-04 删除');
      expect(receipt.notice).toContain('最早于 2026-12-11 停用销毁');
      const nothing = await app.services.personalData.deleteMine({ kind: 'user', userId: 'rotated-never-seen' });
      expect(nothing.notice).toBe('未找到您的数据密钥:在线系统中已没有可解密的您的个人信息(2026-12-04)。');
    } finally {
      frozen = null;
    }
  });

  it('tells the platform identity.revoked (ERASED) in the same transaction, and every replica to forget the cached gate', async () => {
    const user = await verifiedUser(app, 'rotated-revoked');
    const told: string[] = [];
    const stop = await app.bus.listen('userStatus', undefined, ({ userId }) => told.push(userId));
    try {
      await app.services.personalData.deleteMine({ kind: 'user', userId: user.userId });
      const events = await app.db.select().from(webhookEvents).where(eq(webhookEvents.userId, user.userId));
      expect(events.filter((e) => e.type === 'identity.revoked').map((e) => JSON.parse(e.body).data)).toEqual([{ reason: 'ERASED' }]);
      await expect.poll(() => told.filter((id) => id === user.userId).length).toBe(1);
    } finally {
      stop();
    }
  });

  it('refuses with sentences of its own: a service erasing itself, a bad user id to redact, a service export', async () => {
    const service = { kind: 'service' as const, subject: 'letter-backend' };
    const messageOf = (promise: Promise<unknown>) => promise.then(() => 'resolved', (error: { code: string; message: string }) => `${error.code}: ${error.message}`);
    expect(await messageOf(app.services.personalData.deleteMine(service))).toBe('FORBIDDEN: 服务账号请使用 redactUser');
    expect(await messageOf(app.services.personalData.export(service))).toBe('FORBIDDEN: 个人信息副本仅限本人获取');
    expect(await messageOf(app.services.personalData.redact({ ...service, mayRedact: true }, ''))).toBe('BAD_USER_INPUT: userId 无效');
  });

  it('audits the erasure with its counts', async () => {
    const receipt = await erase('rotated-audited');
    const [event] = await app.db.select().from(auditEvents).where(eq(auditEvents.subjectUserId, 'rotated-audited')).then((rows) => rows.filter((e) => e.action === 'personal_data.erased'));
    expect(event).toMatchObject({
      actor: 'user:rotated-audited',
      at: receipt.erasedAt,
      detail: { verificationsCanceled: 0, verificationsErased: 1, consentsErased: 1, identitiesRemoved: 1, faceImagesRemoved: 0, dataKeyShredded: true },
    });
  });
});
