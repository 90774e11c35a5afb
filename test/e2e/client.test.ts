import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRealnameClient, RealnameError, wechatFetch, wechatWebSocket, type ConnectionState, type FetchLike, type RealnameClientOptions } from '../../packages/client/src/index.js';
import { SANDBOX_MAGIC_IMAGES } from '../../src/providers/sandbox/magic-images.js';
import { startTestApp, tokenFor, type TestApp } from '../support/app.js';
import { validIdNumber } from '../support/id-numbers.js';
import { networkWx } from '../support/miniprogram-fakes.js';
import { startTcpProxy } from '../support/tcp-proxy.js';

const FAST = { reconnectBackoff: { initialMs: 20, maxMs: 100 }, pollBackoff: { initialMs: 20, maxMs: 100 } };

/** Every operation the client sent over HTTP, by name. */
function recordingFetch() {
  const operations: string[] = [];
  const fetchImpl: FetchLike = (url, init) => {
    const query = typeof init.body === 'string' ? (JSON.parse(init.body) as { query: string }).query : 'upload';
    operations.push(/^\s*(?:query|mutation)\s+(\w+)/.exec(query)?.[1] ?? query);
    return fetch(url, init);
  };
  return { operations, fetchImpl };
}

const until = async (condition: () => boolean) => {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
};

describe('the typed client (@weiaibang/realname-client) against a running service', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await app?.stop();
  });

  const clientFor = async (userId: string, options: Partial<RealnameClientOptions> = {}) => {
    const recorder = recordingFetch();
    const token = await tokenFor(userId);
    const client = createRealnameClient({ url: `${app.url}/graphql`, token: () => token, fetch: recorder.fetchImpl, ...FAST, ...options });
    return { client, operations: recorder.operations };
  };
  const input = async (client: Awaited<ReturnType<typeof clientFor>>['client']) => ({
    realName: '张三',
    idCardNumber: validIdNumber(),
    consentVersion: (await client.consentTerms()).version,
    biometricConsent: true,
  });

  it('starts, then settles the result from the subscription without another HTTP request', async () => {
    const { client, operations } = await clientFor('client-pass');
    const session = await client.startVerification(await input(client));
    const steps: string[] = [];
    session.on('started', (v) => steps.push(`started:${v.status}`));
    session.on('succeeded', (v) => steps.push(`succeeded:${v.status}`));
    session.on('failed', () => steps.push('failed'));
    await until(() => client.connection === 'online');

    expect(await app.sandbox!.complete(session.verification.certifyId!, 'pass')).toBe('done');
    const final = await session.result;

    expect(final).toMatchObject({ status: 'VERIFIED', maskedName: '张*', certifyUrl: null });
    expect(steps).toEqual(['started:PENDING', 'succeeded:VERIFIED']);
    expect(operations).toEqual(['ConsentTerms', 'StartVerification']);
    expect(await client.verifyIdentity()).toMatchObject({ passed: true, reason: null });
    expect(await client.authStatus()).toMatchObject({ status: 'VERIFIED', isValid: true, latestVerification: { id: final.id } });
    await client.close();
  });

  it('reports a failed liveness check with its reason', async () => {
    const { client } = await clientFor('client-fail');
    const session = await client.startVerification(await input(client));
    const failed = new Promise((resolve) => session.on('failed', resolve));
    await app.sandbox!.complete(session.verification.certifyId!, 'fail');

    expect(await failed).toMatchObject({ status: 'FAILED', failureReason: { code: 'LIVENESS_RISK', message: '活体检测未通过' } });
    expect(await client.verifyIdentity()).toMatchObject({ passed: false, reason: 'FAILED' });
    await client.close();
  });

  it('types refusals by extensions.code with the server’s Chinese message', async () => {
    const { client } = await clientFor('client-refused');
    const refusal = await client.startVerification({ ...(await input(client)), idCardNumber: '110101199003070000' }).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(RealnameError);
    expect(refusal).toMatchObject({ code: 'INVALID_ID_CARD_NUMBER', message: '身份证号码无效,请核对后重新输入' });

    const noConsent = await client.startVerification({ ...(await input(client)), consentVersion: 'old' }).catch((e: unknown) => e);
    expect(noConsent).toMatchObject({ code: 'CONSENT_REQUIRED' });
    await client.close();
  });

  it('tells a user whose token is refused to sign in again', async () => {
    const client = createRealnameClient({ url: `${app.url}/graphql`, token: 'not-a-token' });
    await expect(client.authStatus()).rejects.toMatchObject({ code: 'UNAUTHENTICATED', message: '登录已失效,请重新登录' });
    await client.close();
  });

  it('emits canceled when the user cancels', async () => {
    const { client } = await clientFor('client-cancel');
    const session = await client.startVerification(await input(client));
    const canceled = new Promise((resolve) => session.on('canceled', resolve));
    await session.cancel();
    expect(await canceled).toMatchObject({ status: 'CANCELED' });
    expect((await session.result).status).toBe('CANCELED');
    await client.close();
  });

  it('delivers a result published while its socket was down, after reconnecting', async () => {
    const proxy = await startTcpProxy(app.port);
    const { client, operations } = await clientFor('client-reconnect', { wsUrl: `ws://127.0.0.1:${proxy.port}/graphql`, pollAfterFailures: 1000 });
    const states: ConnectionState[] = [];
    client.onConnection((state) => states.push(state));
    const session = await client.startVerification(await input(client));
    await until(() => client.connection === 'online');

    // The socket dies after the callback is sent and before its event can reach the client.
    proxy.refuse(true);
    proxy.cut();
    await until(() => client.connection === 'reconnecting');
    await app.sandbox!.complete(session.verification.certifyId!, 'pass');
    proxy.refuse(false);

    expect((await session.result).status).toBe('VERIFIED');
    expect(states.slice(0, 2)).toEqual(['online', 'reconnecting']);
    expect(states).toContain('online');
    expect(operations).toContain('Verification'); // the state was read again on reconnecting
    await client.close();
    await proxy.close();
  });

  it('falls back to polling with backoff where no WebSocket can be opened', async () => {
    const proxy = await startTcpProxy(app.port);
    proxy.refuse(true);
    const { client, operations } = await clientFor('client-poll', { wsUrl: `ws://127.0.0.1:${proxy.port}/graphql`, pollAfterFailures: 2 });
    const session = await client.startVerification(await input(client));
    await until(() => client.connection === 'polling');
    await until(() => operations.includes('Verification'));

    await app.sandbox!.complete(session.verification.certifyId!, 'pass');
    expect((await session.result).status).toBe('VERIFIED');
    await client.close();
    await proxy.close();
  });

  it('runs a whole verification in a WeChat mini-program over wx.connectSocket and wx.request', async () => {
    const wx = networkWx();
    const token = await tokenFor('client-wechat');
    const client = createRealnameClient({ url: `${app.url}/graphql`, token, webSocketImpl: wechatWebSocket(wx), fetch: wechatFetch(wx) });
    const session = await client.startVerification(await input(client));
    await until(() => client.connection === 'online');
    await app.sandbox!.complete(session.verification.certifyId!, 'pass');
    expect((await session.result).status).toBe('VERIFIED');
    await client.close();
  });

  it('takes the WeChat path: startFaceCapture, the photo through wx.request, the result pushed', async () => {
    const wx = networkWx();
    const token = await tokenFor('client-face');
    const client = createRealnameClient({ url: `${app.url}/graphql`, token, webSocketImpl: wechatWebSocket(wx), fetch: wechatFetch(wx) });
    const session = await client.startFaceCapture(await input(client));
    expect(session.verification.faceCaptureUrl).toMatch(/\/face-captures\//);

    await client.submitFaceCapture(session.verification, new Uint8Array(SANDBOX_MAGIC_IMAGES.FACE_MISMATCH).buffer);
    expect(await session.result).toMatchObject({ status: 'FAILED', failureReason: { code: 'FACE_MISMATCH' } });
    await client.close();
  });

  it('renews and steps up with the held identity: RENEWAL_NOT_OPEN typed before the window, startStepUp settled live', async () => {
    const { client } = await clientFor('client-lifecycle');
    const verified = await client.startVerification(await input(client));
    expect(await app.sandbox!.complete(verified.verification.certifyId!, 'pass')).toBe('done');
    await verified.result;
    const status = await client.authStatus();
    const consent = { consentVersion: (await client.consentTerms()).version, biometricConsent: true };

    const refusal = await client.renew(consent).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(RealnameError);
    expect(refusal).toMatchObject({ code: 'RENEWAL_NOT_OPEN', renewableFrom: status.renewableFrom });
    expect(status).toMatchObject({ renewable: false });

    const stepUp = await client.startStepUp(consent);
    expect(stepUp.verification).toMatchObject({ status: 'PENDING', purpose: 'STEP_UP', maskedName: '张*' });
    expect(await app.sandbox!.complete(stepUp.verification.certifyId!, 'pass')).toBe('done');
    expect(await stepUp.result).toMatchObject({ status: 'VERIFIED', purpose: 'STEP_UP' });
    const after = await client.authStatus();
    expect(after.expiresAt).toBe(status.expiresAt);
    expect(Date.parse(after.faceCheckedAt!)).toBeGreaterThan(Date.parse(status.faceCheckedAt!));
    expect(await client.verifyIdentity(undefined, 1)).toMatchObject({ passed: true, reason: null });
    await client.close();
  });
});
