import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents, verifications } from '../../src/db/schema.js';
import { createLogger } from '../../src/logger.js';
import type { EventBus, TopicPayloads } from '../../src/pubsub/event-bus.js';
import { announce, moveVerification } from '../../src/services/transitions.js';
import { LogCapture, startTestApp, testAuditChain, type TestApp } from '../support/app.js';
import { startedUser } from '../support/verified-user.js';

/** moveVerification and announce: the one way a verification changes state, and how the change is told. */
describe('transitions', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ env: { START_LIMIT_PER_IP: '1000' } });
  });
  afterAll(async () => {
    await app?.stop();
  });

  const audited = async (verificationId: string) =>
    (await app.db.select().from(auditEvents).where(and(eq(auditEvents.verificationId, verificationId)))).filter((e) => e.action !== 'verification.started');
  const rowOf = async (id: string) => (await app.db.select().from(verifications).where(eq(verifications.id, id)))[0]!;

  describe(moveVerification.name, () => {
    it('moves an open record once, stamps updatedAt, and writes verification.<state> by its actor in the same transaction', async () => {
      const { verificationId } = await startedUser(app, 'move-processing');
      const at = new Date(Date.now() + 1000);
      const moved = await app.db.transaction((tx) => moveVerification(testAuditChain(), tx, verificationId, { to: 'PROCESSING', actor: 'provider' }, at));
      expect(moved).toMatchObject({ id: verificationId, status: 'PROCESSING', updatedAt: at, completedAt: null, failureCode: null, providerSubCode: null });
      expect((await audited(verificationId)).map((e) => [e.action, e.actor, e.at, e.subjectUserId, e.detail])).toEqual([
        ['verification.processing', 'provider', at, 'move-processing', { failureCode: null, providerSubCode: null }],
      ]);
    });

    it('stamps completedAt on a terminal state and records its codes', async () => {
      const { verificationId } = await startedUser(app, 'move-failed');
      const at = new Date(Date.now() + 2000);
      const moved = await app.db.transaction((tx) =>
        moveVerification(testAuditChain(), tx, verificationId, { to: 'FAILED', failureCode: 'FACE_MISMATCH', providerSubCode: '205', actor: 'reconciler' }, at),
      );
      expect(moved).toMatchObject({ status: 'FAILED', completedAt: at, failureCode: 'FACE_MISMATCH', providerSubCode: '205' });
      expect((await audited(verificationId)).map((e) => e.detail)).toEqual([{ failureCode: 'FACE_MISMATCH', providerSubCode: '205' }]);
    });

    it('answers undefined and writes nothing when the record already left the states it could move from', async () => {
      const { verificationId } = await startedUser(app, 'move-twice');
      const chain = testAuditChain();
      await app.db.transaction((tx) => moveVerification(chain, tx, verificationId, { to: 'CANCELED', failureCode: 'CANCELED_BY_USER', actor: 'user:move-twice' }, new Date()));
      const before = await rowOf(verificationId);
      const again = await app.db.transaction((tx) => moveVerification(chain, tx, verificationId, { to: 'VERIFIED', actor: 'provider' }, new Date()));
      expect(again).toBeUndefined();
      expect(await rowOf(verificationId)).toEqual(before);
      expect((await audited(verificationId)).map((e) => e.action)).toEqual(['verification.canceled']);
    });

    it('rolls back with the transaction it joined: no move, no event', async () => {
      const { verificationId } = await startedUser(app, 'move-rollback');
      await app.db
        .transaction(async (tx) => {
          await moveVerification(testAuditChain(), tx, verificationId, { to: 'EXPIRED', failureCode: 'ABANDONED', actor: 'reconciler' }, new Date());
          throw new Error('what the move implied failed');
        })
        .catch(() => {});
      expect((await rowOf(verificationId)).status).toBe('PENDING');
      expect(await audited(verificationId)).toEqual([]);
    });
  });

  describe(announce.name, () => {
    it("publishes the record's new state to its watchers and the user's change to the gate caches, without PII", async () => {
      const { verificationId } = await startedUser(app, 'announce-user', { name: '钱大妈' });
      const row = await rowOf(verificationId);
      const results: TopicPayloads['verificationResult'][] = [];
      const statuses: TopicPayloads['userStatus'][] = [];
      const stops = await Promise.all([
        app.bus.listen('verificationResult', verificationId, (payload) => results.push(payload)),
        app.bus.listen('userStatus', undefined, (payload) => statuses.push(payload)),
      ]);
      await announce(app.bus, createLogger('info', new LogCapture()), row, 'started');
      await expect.poll(() => results.length + statuses.filter((s) => s.userId === 'announce-user').length).toBe(2);
      stops.forEach((stop) => stop());
      expect(results).toEqual([
        { verificationId, userId: 'announce-user', status: 'PENDING', at: row.updatedAt.toISOString(), change: 'started', createdAt: row.createdAt.toISOString(), failureCode: null },
      ]);
      expect(statuses.filter((s) => s.userId === 'announce-user')).toEqual([{ userId: 'announce-user' }]);
      expect(JSON.stringify(results)).not.toContain('钱');
    });

    it('says "moved" by default, and logs a failed publish without throwing: the database holds the truth', async () => {
      const { verificationId } = await startedUser(app, 'announce-down');
      const row = await rowOf(verificationId);
      const sent: string[] = [];
      const failing: EventBus = {
        ...app.bus,
        publish: async (topic, _key, payload) => {
          sent.push(`${topic}:${'change' in payload ? payload.change : '-'}`);
          if (topic === 'verificationResult') throw new Error('broker away');
        },
      };
      const logs = new LogCapture();
      await expect(announce(failing, createLogger('info', logs), row)).resolves.toBeUndefined();
      expect(sent.sort()).toEqual(['userStatus:-', 'verificationResult:moved']);
      const lines = logs.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(lines).toEqual([expect.objectContaining({ level: 40, msg: 'publish failed; state is in the database', verificationId, err: 'Error: broker away' })]);
    });
  });
});
