import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhookSignature } from '@weiaibang/realname-client';
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { auditEvents, webhookEvents } from '../../src/db/schema.js';
import type { Actor } from '../../src/domain/actor.js';
import { retryDelayMs } from '../../src/domain/webhook-events.js';
import { createLogger } from '../../src/logger.js';
import { WebhookOutbox } from '../../src/services/webhook-outbox.js';
import { deliveryCursor, WebhookService, type AttemptOutcome, type WebhookSettings } from '../../src/services/webhook.service.js';
import { LogCapture, startTestApp, testAuditChain, type TestApp } from '../support/app.js';
import { TEST_WEBHOOK_SECRET } from '../support/webhook-receiver.js';

const T0 = new Date('2026-12-03T02:00:00.000Z');
const operator: Actor = { kind: 'operator', operatorId: 'op-hooks' };
const user: Actor = { kind: 'user', userId: 'hooks-user' };

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A receiver whose next answers the test chooses: a status, a redirect, or a delay past the timeout. */
async function startScriptedReceiver() {
  const received: Received[] = [];
  let answer: { status: number; location?: string; delayMs?: number } = { status: 204 };
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    received.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
    const { status, location, delayMs } = answer;
    if (delayMs) await new Promise((resolve) => setTimeout(resolve, delayMs));
    if (!res.destroyed) res.writeHead(status, location ? { location } : {}).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `${base}/hooks/realname`,
    base,
    received,
    answer(next: typeof answer) {
      answer = next;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe(`${WebhookService.name}: delivery, retries, replay and the operators' view`, () => {
  let app: TestApp;
  let receiver: Awaited<ReturnType<typeof startScriptedReceiver>>;
  let now = T0;
  const outcomes: AttemptOutcome[] = [];
  const logs = new LogCapture();

  beforeAll(async () => {
    // The app itself has no WEBHOOK_URL: its own timer sends nothing, the services under test do.
    [app, receiver] = await Promise.all([startTestApp(), startScriptedReceiver()]);
  });
  beforeEach(async () => {
    now = T0;
    outcomes.length = 0;
    logs.lines.length = 0;
    receiver.received.length = 0;
    receiver.answer({ status: 204 });
    await app.db.delete(webhookEvents);
  });
  afterAll(async () => {
    await app?.stop();
    await receiver?.close();
  });

  const settings = (overrides: Partial<WebhookSettings> = {}): WebhookSettings => ({
    url: receiver.url,
    secret: TEST_WEBHOOK_SECRET,
    timeoutMs: 2000,
    maxAttempts: 5,
    renewalDays: 30,
    ...overrides,
  });
  const outboxOf = (maxAgeHours = 24) => new WebhookOutbox({ maxAgeHours });
  const serviceWith = (overrides: Partial<WebhookSettings> = {}, outbox = outboxOf()) =>
    new WebhookService({
      db: app.db,
      audit: testAuditChain(),
      outbox,
      settings: settings(overrides),
      clock: () => now,
      log: createLogger('info', logs),
      random: () => 0.25,
      onAttempt: (outcome) => outcomes.push(outcome),
    });
  const record = async (userId = 'hooks-user', outbox = outboxOf()) => {
    await outbox.record(app.db, { type: 'review.decided', userId, data: { caseId: randomUUID(), decision: 'APPROVED' } }, now);
    const rows = await app.db.select().from(webhookEvents).where(eq(webhookEvents.userId, userId));
    return rows.sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime()).at(-1)!;
  };
  const rowOf = async (id: string) => (await app.db.select().from(webhookEvents).where(eq(webhookEvents.id, id)))[0]!;
  const codeOf = (promise: Promise<unknown>) =>
    promise.then(
      () => 'resolved',
      (error: { code?: string; message?: string }) => `${error.code}: ${error.message}`,
    );

  describe('delivery', () => {
    it('POSTs the stored body once, signed at the send time, with the event id; a 2xx makes it DELIVERED', async () => {
      const row = await record();
      now = new Date(T0.getTime() + 5_000);
      expect(await serviceWith().deliverDue()).toEqual({ delivered: 1, retried: 0, failed: 0 });
      expect(outcomes).toEqual(['delivered']);

      expect(receiver.received).toHaveLength(1);
      const [sent] = receiver.received;
      expect(sent!.path).toBe('/hooks/realname');
      expect(sent!.body).toBe(row.body);
      expect(sent!.headers).toMatchObject({ 'content-type': 'application/json', 'user-agent': 'realname-webhooks/1', 'realname-event-id': row.id });
      const signature = sent!.headers['realname-signature'] as string;
      expect(await verifyWebhookSignature(signature, sent!.body, TEST_WEBHOOK_SECRET, { now })).toEqual({ ok: true, timestamp: now.getTime() / 1000 });
      expect(await verifyWebhookSignature(signature, sent!.body, `${TEST_WEBHOOK_SECRET}x`, { now })).toMatchObject({ ok: false });

      expect(await rowOf(row.id)).toMatchObject({ status: 'DELIVERED', attempts: 1, deliveredAt: now, lastAttemptAt: now, lastStatusCode: 204, lastError: null });
      expect(await serviceWith().deliverDue()).toEqual({ delivered: 0, retried: 0, failed: 0 });
      expect(receiver.received).toHaveLength(1);
    });

    it('on a non-2xx answer keeps it PENDING with the code, and tries again after the backoff, not before', async () => {
      const row = await record();
      receiver.answer({ status: 500 });
      expect(await serviceWith().deliverDue()).toEqual({ delivered: 0, retried: 1, failed: 0 });
      const next = new Date(T0.getTime() + retryDelayMs(1, () => 0.25));
      expect(await rowOf(row.id)).toMatchObject({ status: 'PENDING', attempts: 1, nextAttemptAt: next, lastStatusCode: 500, lastError: 'HTTP_500', deliveredAt: null });
      expect(outcomes).toEqual(['retried']);

      now = new Date(next.getTime() - 1);
      expect(await serviceWith().deliverDue()).toEqual({ delivered: 0, retried: 0, failed: 0 });
      now = next;
      receiver.answer({ status: 200 });
      expect(await serviceWith().deliverDue()).toEqual({ delivered: 1, retried: 0, failed: 0 });
      expect(await rowOf(row.id)).toMatchObject({ status: 'DELIVERED', attempts: 2, lastStatusCode: 200, lastError: null });
      expect(receiver.received.map((r) => r.headers['realname-event-id'])).toEqual([row.id, row.id]);
    });

    it('takes a redirect as a failure and never follows it', async () => {
      const row = await record();
      receiver.answer({ status: 302, location: `${receiver.base}/elsewhere` });
      expect(await serviceWith().deliverDue()).toEqual({ delivered: 0, retried: 1, failed: 0 });
      expect(await rowOf(row.id)).toMatchObject({ status: 'PENDING', lastStatusCode: 302, lastError: 'HTTP_302' });
      expect(receiver.received.map((r) => r.path)).toEqual(['/hooks/realname']);
    });

    it('records TIMEOUT when the receiver answers later than the timeout, and the network error code when nothing listens', async () => {
      const slow = await record('hooks-slow');
      receiver.answer({ status: 204, delayMs: 1500 });
      expect(await serviceWith({ timeoutMs: 200 }).deliverDue()).toEqual({ delivered: 0, retried: 1, failed: 0 });
      expect(await rowOf(slow.id)).toMatchObject({ status: 'PENDING', lastStatusCode: null, lastError: 'TIMEOUT' });

      await app.db.delete(webhookEvents);
      const refused = await record('hooks-refused');
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const port = (closed.address() as AddressInfo).port;
      await new Promise<void>((resolve) => closed.close(() => resolve()));
      expect(await serviceWith({ url: `http://127.0.0.1:${port}/hooks` }).deliverDue()).toEqual({ delivered: 0, retried: 1, failed: 0 });
      expect(await rowOf(refused.id)).toMatchObject({ status: 'PENDING', lastStatusCode: null, lastError: 'ECONNREFUSED' });
    });

    it('gives up into FAILED at WEBHOOK_MAX_ATTEMPTS, and sends nothing more', async () => {
      const row = await record();
      receiver.answer({ status: 503 });
      const service = serviceWith({ maxAttempts: 2 });
      expect(await service.deliverDue()).toEqual({ delivered: 0, retried: 1, failed: 0 });
      now = (await rowOf(row.id)).nextAttemptAt;
      expect(await service.deliverDue()).toEqual({ delivered: 0, retried: 0, failed: 1 });
      expect(await rowOf(row.id)).toMatchObject({ status: 'FAILED', attempts: 2, lastStatusCode: 503, lastError: 'HTTP_503' });
      expect(outcomes).toEqual(['retried', 'failed']);
      now = new Date(now.getTime() + 86_400_000);
      expect(await service.deliverDue()).toEqual({ delivered: 0, retried: 0, failed: 0 });
      expect(receiver.received).toHaveLength(2);
    });

    it('gives up early when the next try would fall after the give-up time (WEBHOOK_MAX_AGE_HOURS)', async () => {
      const outbox = outboxOf(1);
      const row = await record('hooks-user', outbox);
      expect(row.giveUpAt).toEqual(new Date(T0.getTime() + 3_600_000));
      receiver.answer({ status: 500 });
      now = new Date(row.giveUpAt.getTime() - retryDelayMs(1, () => 0.25));
      expect(await serviceWith({}, outbox).deliverDue()).toEqual({ delivered: 0, retried: 1, failed: 0 }); // lands exactly on it: still tried
      now = (await rowOf(row.id)).nextAttemptAt;
      expect(now).toEqual(row.giveUpAt);
      expect(await serviceWith({}, outbox).deliverDue()).toEqual({ delivered: 0, retried: 0, failed: 1 });
      expect(await rowOf(row.id)).toMatchObject({ status: 'FAILED', attempts: 2 });
    });

    it('claims at most `limit` a round, oldest due first', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        now = new Date(T0.getTime() + i * 1000);
        ids.push((await record(`hooks-limit-${i}`)).id);
      }
      const service = serviceWith();
      expect(await service.deliverDue(2)).toEqual({ delivered: 2, retried: 0, failed: 0 });
      expect(receiver.received.map((r) => r.headers['realname-event-id']).sort()).toEqual(ids.slice(0, 2).sort());
      expect(await service.deliverDue(2)).toEqual({ delivered: 1, retried: 0, failed: 0 });
      expect(receiver.received.at(-1)!.headers['realname-event-id']).toBe(ids[2]);
    });

    it('logs a failed attempt by its id, type, attempt and error code, never the body', async () => {
      const row = await record();
      receiver.answer({ status: 500 });
      await serviceWith().deliverDue();
      const line = logs.lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'webhook delivery failed');
      expect(line).toMatchObject({ level: 40, webhookEventId: row.id, type: 'review.decided', attempt: 1, error: 'HTTP_500', givingUp: false });
      expect(logs.lines.join('\n')).not.toContain(JSON.parse(row.body).data.caseId);
    });
  });

  describe('what a failure is recorded as', () => {
    const failingWith = (failure: unknown) =>
      new WebhookService({
        db: app.db,
        audit: testAuditChain(),
        outbox: outboxOf(),
        settings: settings(),
        clock: () => now,
        log: createLogger('info', logs),
        fetch: async () => {
          throw failure;
        },
      });
    it.each([
      ['a code of its own', Object.assign(new Error('socket'), { code: 'ECONNRESET' }), 'ECONNRESET'],
      ['a code on its cause', Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('dns'), { code: 'ENOTFOUND' }) }), 'ENOTFOUND'],
      ['no code', new TypeError('fetch failed'), 'NETWORK_ERROR'],
      ['a code that is not one (lower case)', Object.assign(new Error('x'), { code: 'econnreset' }), 'NETWORK_ERROR'],
      ['a code with text after it', Object.assign(new Error('x'), { code: 'ECONNRESET: reset by peer' }), 'NETWORK_ERROR'],
      ['a code with text before it', Object.assign(new Error('x'), { code: 'peer ECONNRESET' }), 'NETWORK_ERROR'],
      ['a cause that is null', Object.assign(new TypeError('fetch failed'), { cause: null }), 'NETWORK_ERROR'],
      ['something thrown that is no error', 'boom', 'NETWORK_ERROR'],
      ['an abort that is not the timeout', Object.assign(new Error('aborted'), { name: 'AbortError' }), 'NETWORK_ERROR'],
    ])('%s', async (_name, failure, expected) => {
      const row = await record();
      expect(await failingWith(failure).deliverDue()).toEqual({ delivered: 0, retried: 1, failed: 0 });
      expect(await rowOf(row.id)).toMatchObject({ lastStatusCode: null, lastError: expected });
    });
  });

  describe('leases and the daily sweep', () => {
    it('hides a claimed event for the timeout and a minute while its POST is under way', async () => {
      const row = await record();
      receiver.answer({ status: 204, delayMs: 300 });
      const round = serviceWith({ timeoutMs: 2000 }).deliverDue();
      await expect.poll(() => receiver.received.length).toBe(1);
      expect(await rowOf(row.id)).toMatchObject({ status: 'PENDING', attempts: 1, nextAttemptAt: new Date(now.getTime() + 2000 + 60_000), lastAttemptAt: now });
      expect(await serviceWith().deliverDue()).toEqual({ delivered: 0, retried: 0, failed: 0 });
      expect(await round).toEqual({ delivered: 1, retried: 0, failed: 0 });
    });

    it('purges delivered events older than the longest look-back plus 90 days, and nothing else', async () => {
      const day = 86_400_000;
      // renewalDays 30 and the 7-day expiry look-back: kept for max(30, 7) + 90 = 120 days.
      const rows: Record<string, string> = {};
      for (const [name, ageDays, status] of [
        ['old-delivered', 121, 'DELIVERED'],
        ['young-delivered', 119, 'DELIVERED'],
        ['old-failed', 200, 'FAILED'],
      ] as const) {
        now = new Date(T0.getTime() - ageDays * day);
        const row = await record(`hooks-purge-${name}`);
        await app.db.update(webhookEvents).set({ status }).where(eq(webhookEvents.id, row.id));
        rows[name] = row.id;
      }
      now = T0;
      await serviceWith({ renewalDays: 30 }).sweepLifecycle();
      const left = (await app.db.select().from(webhookEvents)).map((r) => r.id).sort();
      expect(left).toEqual([rows['young-delivered'], rows['old-failed']].sort());
    });

    it('counts what it wrote, and goes on past a full batch of 500', async () => {
      // 501 identities whose expiry passed an hour ago: two batches of the sweep's query.
      const expiredAt = new Date(T0.getTime() - 3_600_000);
      await app.db.execute(sql`
        insert into identities (user_id, verification_id, id_number_index, slot, mode, verified_at, expires_at)
        select 'hooks-sweep-' || n, gen_random_uuid(), 'hooks-sweep-index-' || n, 0, 'SANDBOX', ${new Date(expiredAt.getTime() - 365 * 86_400_000).toISOString()}::timestamptz, ${expiredAt.toISOString()}::timestamptz
        from generate_series(1, 501) as n`);
      try {
        expect(await serviceWith().sweepLifecycle()).toEqual({ renewable: 0, expired: 501 });
        expect(await serviceWith().sweepLifecycle()).toEqual({ renewable: 0, expired: 0 });
        expect((await app.db.select().from(webhookEvents)).filter((r) => r.type === 'identity.expired')).toHaveLength(501);
      } finally {
        await app.db.execute(sql`delete from identities where user_id like 'hooks-sweep-%'`);
      }
    });
  });

  describe('replay', () => {
    const failedRow = async () => {
      const row = await record();
      await app.db.update(webhookEvents).set({ status: 'FAILED', attempts: 5, lastError: 'HTTP_500' }).where(eq(webhookEvents.id, row.id));
      return row;
    };

    it('is for operators, with a reason, of an event that exists', async () => {
      const row = await failedRow();
      const service = serviceWith();
      expect(await codeOf(service.replay(user, row.id, '接收方已恢复'))).toMatch(/^FORBIDDEN/);
      expect(await codeOf(service.replay(operator, row.id, '  '))).toMatch(/^BAD_USER_INPUT/);
      expect(await codeOf(service.replay(operator, 'not-a-uuid', '接收方已恢复'))).toMatch(/^NOT_FOUND/);
      expect(await codeOf(service.replay(operator, randomUUID(), '接收方已恢复'))).toMatch(/^NOT_FOUND/);
      expect((await rowOf(row.id)).status).toBe('FAILED');
    });

    it('is refused when webhooks are off, with a sentence saying why', async () => {
      const row = await failedRow();
      expect(await codeOf(app.services.webhooks.replay(operator, row.id, '接收方已恢复'))).toBe('BAD_USER_INPUT: 未配置 WEBHOOK_URL,无法重新投递');
    });

    it('sends the same event again with a fresh budget from now, audited with the previous status', async () => {
      const row = await failedRow();
      now = new Date(T0.getTime() + 7_200_000);
      const replayed = await serviceWith().replay(operator, row.id, '接收方已恢复');
      expect(replayed).toMatchObject({ id: row.id, body: row.body, status: 'PENDING', attempts: 0, nextAttemptAt: now, giveUpAt: new Date(now.getTime() + 24 * 3_600_000), deliveredAt: null });
      const audited = await app.db.select().from(auditEvents).where(and(eq(auditEvents.action, 'operator.replay_webhook'), eq(auditEvents.subjectUserId, 'hooks-user')));
      expect(audited.map((e) => [e.actor, e.at, e.detail])).toContainEqual(['operator:op-hooks', now, { reason: '接收方已恢复', eventId: row.id, eventType: 'review.decided', previousStatus: 'FAILED' }]);
      expect(await serviceWith().deliverDue()).toEqual({ delivered: 1, retried: 0, failed: 0 });
      expect(receiver.received[0]!.body).toBe(row.body);
    });
  });

  describe('what operators see', () => {
    it('lists deliveries newest first, by status, a page at a time, with the total', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        now = new Date(T0.getTime() + i * 60_000);
        ids.push((await record(`hooks-list-${i}`)).id);
      }
      await app.db.update(webhookEvents).set({ status: 'FAILED' }).where(eq(webhookEvents.id, ids[0]!));
      const service = serviceWith();
      expect(await codeOf(service.list(user, undefined, 10, null))).toMatch(/^FORBIDDEN/);

      const first = await service.list(operator, undefined, 2, null);
      expect(first.deliveries.map((d) => d.id)).toEqual([ids[2], ids[1]]);
      expect(first).toMatchObject({ hasNextPage: true, totalCount: 3 });
      const second = await service.list(operator, undefined, 2, deliveryCursor(first.deliveries[1]!));
      expect(second.deliveries.map((d) => d.id)).toEqual([ids[0]]);
      expect(second).toMatchObject({ hasNextPage: false, totalCount: 3 });

      const failed = await service.list(operator, 'FAILED', 10, null);
      expect(failed).toMatchObject({ hasNextPage: false, totalCount: 1 });
      expect(failed.deliveries.map((d) => d.id)).toEqual([ids[0]]);
      expect(await codeOf(service.list(operator, undefined, 101, null))).toMatch(/^BAD_USER_INPUT/);
    });

    it('counts the backlog: pending, failed and the oldest pending', async () => {
      const service = serviceWith();
      expect(await service.backlog()).toEqual({ pending: 0, failed: 0, oldestPendingAt: null });
      const oldest = await record('hooks-backlog-1');
      now = new Date(T0.getTime() + 60_000);
      await record('hooks-backlog-2');
      const failed = await record('hooks-backlog-3');
      await app.db.update(webhookEvents).set({ status: 'FAILED' }).where(eq(webhookEvents.id, failed.id));
      expect(await service.backlog()).toEqual({ pending: 2, failed: 1, oldestPendingAt: oldest.occurredAt });
    });
  });

  describe('switched off (no WEBHOOK_URL)', () => {
    it('sends nothing, sweeps nothing, and says so', async () => {
      await record();
      expect(app.services.webhooks.enabled).toBe(false);
      expect(serviceWith().enabled).toBe(true);
      expect(await app.services.webhooks.deliverDue()).toEqual({ delivered: 0, retried: 0, failed: 0 });
      expect(await app.services.webhooks.sweepLifecycle()).toEqual({ renewable: 0, expired: 0 });
      expect(receiver.received).toEqual([]);
    });
  });
});
