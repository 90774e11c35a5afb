import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webhookEvents } from '../../src/db/schema.js';
import { gql, startTestApp, tokenFor, type TestApp } from '../support/app.js';
import { scrape } from '../support/metrics.js';
import { DECIDE, operatorEventsOf, operatorToken, REQUEST_REVIEW, unfindableUser } from '../support/operator.js';
import { DELETE, verifiedUser, type TestApplicant } from '../support/verified-user.js';
import { startWebhookReceiver, TEST_WEBHOOK_SECRET, type WebhookReceiver } from '../support/webhook-receiver.js';

const MINUTE_MS = 60_000;
const DELIVERIES = /* GraphQL */ `
  query($status: WebhookDeliveryStatus, $first: Int, $after: String) {
    webhookDeliveries(status: $status, first: $first, after: $after) {
      totalCount pageInfo { hasNextPage endCursor }
      edges { cursor node { id type userId status attempts nextAttemptAt lastStatusCode lastError deliveredAt payload } }
    }
  }
`;
const REPLAY = `mutation($id: ID!, $reason: String!) { replayWebhook(id: $id, reason: $reason) { id status attempts lastError } }`;
const RELEASE = `mutation($u: ID!) { releaseIdentity(userId: $u, reason: "号码被盗用") { status } }`;
const DENY_USER = `mutation($u: ID!) { denyUser(userId: $u, reason: "冒用他人身份") { changed } }`;

/** The app's clock runs ahead by `aheadMs`, which the tests move instead of waiting out a backoff. */
let aheadMs = 0;
const clock = () => new Date(Date.now() + aheadMs);
let receiver: WebhookReceiver;
let app: TestApp;

beforeAll(async () => {
  receiver = await startWebhookReceiver(clock);
  app = await startTestApp({
    // The timer is left out of the way: each round of deliveries here is one explicit call.
    env: { WEBHOOK_URL: receiver.url, WEBHOOK_SECRET: TEST_WEBHOOK_SECRET, WEBHOOK_MAX_ATTEMPTS: '4', WEBHOOK_POLL_INTERVAL_SECONDS: '3600', START_LIMIT_PER_IP: '1000' },
    overrides: { clock },
  });
});
afterAll(async () => {
  await app?.stop();
  await receiver?.close();
});

const outbox = (userId: string) => app.db.select().from(webhookEvents).where(eq(webhookEvents.userId, userId));
/** Every delivery that is due comes due: past the longest backoff a round can have drawn. */
const nextRound = async () => {
  aheadMs += 61 * MINUTE_MS;
  return app.services.webhooks.deliverDue(100);
};

describe('webhooks to the letter platform', () => {
  it('delivers every event, signed, once the receiver is back from being down and then failing', async () => {
    await receiver.setState('down');
    const operator = await operatorToken();
    const users: Record<string, TestApplicant | { userId: string; token: string; verificationId: string }> = {};

    users.verified = await verifiedUser(app, 'hook-verified');
    users.approved = await unfindableUser(app, 'hook-approved');
    users.rejected = await unfindableUser(app, 'hook-rejected');
    for (const [who, decision] of [['approved', 'APPROVE'], ['rejected', 'REJECT']] as const) {
      const opened = await gql(app, REQUEST_REVIEW, { id: users[who]!.verificationId }, users[who]!.token);
      const decided = await gql(app, DECIDE, { caseId: opened.data!.requestManualReview.id, decision, reason: '人工核对户籍材料' }, operator);
      expect(decided.errors).toBeUndefined();
    }
    users.released = await verifiedUser(app, 'hook-released');
    expect((await gql(app, RELEASE, { u: users.released.userId }, operator)).errors).toBeUndefined();
    users.denied = await verifiedUser(app, 'hook-denied');
    expect((await gql(app, DENY_USER, { u: users.denied.userId }, operator)).errors).toBeUndefined();
    users.erased = await verifiedUser(app, 'hook-erased');
    expect((await gql(app, DELETE, {}, users.erased.token)).errors).toBeUndefined();

    const written = (await Promise.all(Object.values(users).map((u) => outbox(u.userId)))).flat();
    const typesOf = (userId: string) => written.filter((e) => e.userId === userId).map((e) => `${e.type}${e.type === 'identity.revoked' ? `:${JSON.parse(e.body).data.reason}` : ''}`).sort();
    expect(typesOf('hook-verified')).toEqual(['identity.verified']);
    expect(typesOf('hook-approved')).toEqual(['identity.verified', 'review.decided']);
    expect(typesOf('hook-rejected')).toEqual(['review.decided']);
    expect(typesOf('hook-released')).toEqual(['identity.revoked:RELEASED', 'identity.verified']);
    expect(typesOf('hook-denied')).toEqual(['identity.revoked:DENIED', 'identity.verified']);
    expect(typesOf('hook-erased')).toEqual(['identity.revoked:ERASED', 'identity.verified']);

    // Down: not listening. Every attempt fails, and each row waits out its backoff.
    expect(await app.services.webhooks.deliverDue(100)).toEqual({ delivered: 0, retried: written.length, failed: 0 });
    expect(await app.services.webhooks.deliverDue(100)).toEqual({ delivered: 0, retried: 0, failed: 0 });
    const afterRefusal = (await Promise.all(Object.values(users).map((u) => outbox(u.userId)))).flat();
    for (const row of afterRefusal) {
      expect(row).toMatchObject({ status: 'PENDING', attempts: 1, lastError: 'ECONNREFUSED', lastStatusCode: null });
      expect(row.nextAttemptAt.getTime()).toBeGreaterThan(clock().getTime());
    }

    // Back, but answering 503.
    await receiver.setState('unavailable');
    expect(await nextRound()).toEqual({ delivered: 0, retried: written.length, failed: 0 });
    expect((await outbox('hook-verified'))[0]).toMatchObject({ attempts: 2, lastError: 'HTTP_503', lastStatusCode: 503 });

    await receiver.setState('up');
    expect(await nextRound()).toEqual({ delivered: written.length, retried: 0, failed: 0 });
    expect(new Set(receiver.received.map((e) => e.id))).toEqual(new Set(written.map((e) => e.id)));
    expect(receiver.rejected).toBe(0);
    expect(await nextRound()).toEqual({ delivered: 0, retried: 0, failed: 0 });

    // An id, a type, a time and the user id: never a name, a number or their masks.
    for (const body of receiver.rawBodies) {
      const event = JSON.parse(body);
      expect(Object.keys(event).sort()).toEqual(['data', 'id', 'occurredAt', 'type', 'userId']);
      expect(body).not.toMatch(/张|李|\*\*|\d{17}[\dX]|realName|idCardNumber|masked/i);
    }
    for (const applicant of [users.verified, users.released, users.denied, users.erased] as TestApplicant[]) {
      expect(receiver.rawBodies.join('\n')).not.toContain(applicant.idCardNumber);
    }
    const metrics = await scrape(app);
    expect(metrics.value('realname_webhook_deliveries_total', { outcome: 'delivered' })).toBeGreaterThanOrEqual(written.length);
    expect(metrics.value('realname_webhook_deliveries_total', { outcome: 'retried' })).toBeGreaterThanOrEqual(2 * written.length);
  });

  it('gives up after WEBHOOK_MAX_ATTEMPTS into FAILED, shown to operators, and an operator replays it', async () => {
    await receiver.setState('unavailable');
    const user = await verifiedUser(app, 'hook-given-up');
    const [event] = await outbox(user.userId);
    await app.services.webhooks.deliverDue(100);
    for (let round = 2; round <= 4; round++) await nextRound();
    expect((await outbox(user.userId))[0]).toMatchObject({ status: 'FAILED', attempts: 4, lastError: 'HTTP_503' });
    expect(await nextRound()).toEqual({ delivered: 0, retried: 0, failed: 0 });

    const metrics = await scrape(app);
    expect(metrics.value('realname_webhook_deliveries_total', { outcome: 'failed' })).toBeGreaterThanOrEqual(1);
    expect(metrics.value('realname_webhook_outbox_backlog', { status: 'failed' })).toBeGreaterThanOrEqual(1);

    const operator = await operatorToken('op-webhooks');
    const failed = await gql(app, DELIVERIES, { status: 'FAILED' }, operator);
    expect(failed.errors).toBeUndefined();
    const node = failed.data!.webhookDeliveries.edges.find((e: { node: { id: string } }) => e.node.id === event!.id)?.node;
    expect(node).toMatchObject({ type: 'identity.verified', userId: user.userId, status: 'FAILED', attempts: 4, nextAttemptAt: null, lastStatusCode: 503, lastError: 'HTTP_503' });
    expect(JSON.parse(node.payload)).toMatchObject({ id: event!.id, type: 'identity.verified', userId: user.userId });

    await receiver.setState('up');
    const replayed = await gql(app, REPLAY, { id: event!.id, reason: '平台修复了接收端' }, operator);
    expect(replayed.data!.replayWebhook).toEqual({ id: event!.id, status: 'PENDING', attempts: 0, lastError: 'HTTP_503' });
    expect(await app.services.webhooks.deliverDue(100)).toEqual({ delivered: 1, retried: 0, failed: 0 });
    expect(receiver.received.filter((e) => e.id === event!.id)).toHaveLength(1);
    expect((await outbox(user.userId))[0]).toMatchObject({ status: 'DELIVERED', lastError: null, lastStatusCode: 204 });
    expect(await operatorEventsOf(app, user.userId)).toContainEqual({ actor: 'operator:op-webhooks', action: 'operator.replay_webhook', reason: '平台修复了接收端' });
  });

  it('pages the deliveries newest first, as a Relay connection', async () => {
    const operator = await operatorToken();
    const all = await gql(app, DELIVERIES, { first: 100 }, operator);
    const first = await gql(app, DELIVERIES, { first: 2 }, operator);
    const second = await gql(app, DELIVERIES, { first: 2, after: first.data!.webhookDeliveries.pageInfo.endCursor }, operator);
    const ids = (res: typeof all) => res.data!.webhookDeliveries.edges.map((e: { node: { id: string } }) => e.node.id);
    expect(first.data!.webhookDeliveries.pageInfo.hasNextPage).toBe(true);
    expect([...ids(first), ...ids(second)]).toEqual(ids(all).slice(0, 4));
    expect(all.data!.webhookDeliveries.totalCount).toBe(ids(all).length);
    expect((await gql(app, REPLAY, { id: '00000000-0000-4000-8000-000000000000', reason: '不存在' }, operator)).errors![0]!.extensions!.code).toBe('NOT_FOUND');
  });

  it('lets replicas on one database share the work: each event is claimed by one of them', async () => {
    const replica = await startTestApp({ databaseUrl: app.config.DATABASE_URL, env: { WEBHOOK_URL: receiver.url, WEBHOOK_SECRET: TEST_WEBHOOK_SECRET, WEBHOOK_POLL_INTERVAL_SECONDS: '3600' }, overrides: { clock } });
    try {
      const users = await Promise.all(['hook-replica-1', 'hook-replica-2', 'hook-replica-3', 'hook-replica-4'].map((id) => verifiedUser(app, id)));
      const [a, b] = await Promise.all([app.services.webhooks.deliverDue(100), replica.services.webhooks.deliverDue(100)]);
      expect(a.delivered + b.delivered).toBe(users.length);
      for (const user of users) expect(await outbox(user.userId)).toMatchObject([{ status: 'DELIVERED', attempts: 1 }]);
    } finally {
      await replica.stop();
    }
  });
});

describe('the embedded default (PGlite)', () => {
  let embedded: TestApp;
  // Started in the hook: a fresh PGlite takes seconds, more on a loaded machine.
  beforeAll(async () => {
    embedded = await startTestApp({ storage: 'embedded', env: { WEBHOOK_URL: receiver.url, WEBHOOK_SECRET: TEST_WEBHOOK_SECRET, WEBHOOK_POLL_INTERVAL_SECONDS: '1' }, overrides: { clock } });
  });
  afterAll(async () => {
    await embedded?.stop();
  });

  it('delivers on its timer, with nothing called', async () => {
    await receiver.setState('up');
    const user = await verifiedUser(embedded, 'hook-embedded');
    await expect.poll(() => receiver.received.filter((e) => e.userId === user.userId).map((e) => e.type)).toEqual(['identity.verified']);
  });
});

describe('a user token', () => {
  it('is refused the deliveries', async () => {
    const res = await gql(app, DELIVERIES, {}, await tokenFor('hook-nosy'));
    expect(res.errors![0]!.extensions!.code).toBe('FORBIDDEN');
  });
});
