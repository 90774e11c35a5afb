import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createAliyunProvider } from '../../../src/providers/aliyun/aliyun.provider.js';
import type { FaceVerifyProvider } from '../../../src/providers/provider.js';
import { sandboxMetaInfo } from '../../../src/providers/sandbox/meta-info.js';
import { startSandbox, type Sandbox } from '../../../src/providers/sandbox/sandbox.server.js';

const keys = { accessKeyId: 'test-ak', accessKeySecret: 'test-secret' };
const NAME = '张三';
const NUMBER = '110101199003071233';
const RETURN_URL = 'https://app.example.test/verification/done';

let sandbox: Sandbox;
let provider: FaceVerifyProvider;
let callbackServer: Server;
let callbackBase: string;
const callbackHits: URL[] = [];

beforeAll(async () => {
  // The receiver below is plain http on loopback: allowed here only, Aliyun calls back https.
  sandbox = await startSandbox({ port: 0, ...keys, callbackRetryDelaysMs: [10, 10], allowHttpCallbacks: true });
  provider = createAliyunProvider({
    mode: 'SANDBOX',
    ...keys,
    sceneId: '1000000001',
    endpoints: [sandbox.url],
    timeoutMs: 2_000,
    fallbackMetaInfo: sandboxMetaInfo,
  });
  callbackServer = createServer((req, res) => {
    const hit = new URL(req.url ?? '/', 'http://callback');
    callbackHits.push(hit);
    // A receiver that fails its first answer for tokens marked "flaky", as ours does while the database restarts.
    const token = hit.searchParams.get('callbackToken') ?? '';
    const seen = callbackHits.filter((h) => h.searchParams.get('callbackToken') === token).length;
    res.statusCode = token.startsWith('flaky') && seen === 1 ? 503 : 200;
    res.end('ok');
  });
  await new Promise<void>((resolve) => callbackServer.listen(0, '127.0.0.1', resolve));
  callbackBase = `http://127.0.0.1:${(callbackServer.address() as AddressInfo).port}`;
});
afterAll(async () => {
  callbackServer.closeAllConnections();
  await Promise.all([sandbox.close(), new Promise((resolve) => callbackServer.close(resolve))]);
});

async function newSession(token: string) {
  return provider.initFaceVerify({
    outerOrderNo: `page${Date.now()}${token}`,
    name: NAME,
    idCardNumber: NUMBER,
    callbackUrl: `${callbackBase}/callbacks/aliyun`,
    callbackToken: token,
    returnUrl: RETURN_URL,
  });
}

function press(certifyUrl: string, outcome: 'pass' | 'fail') {
  return fetch(certifyUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ outcome }),
    redirect: 'manual',
  });
}

describe('sandbox certify page', () => {
  it('renders both buttons and masks the identity', async () => {
    const { certifyUrl } = await newSession('render');
    const response = await fetch(certifyUrl);
    const html = await response.text();
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/html');
    expect(html).toContain('data-testid="sandbox-pass"');
    expect(html).toContain('data-testid="sandbox-fail"');
    expect(html).not.toContain(NUMBER);
    expect(html).not.toContain(NAME);
    expect(html).not.toMatch(/(src|href)="https?:/);
  });

  it('on "pass" calls back like Aliyun, redirects to ReturnUrl, and describe says passed', async () => {
    const { certifyId, certifyUrl } = await newSession('tokPass1');
    const response = await press(certifyUrl, 'pass');
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe(RETURN_URL);

    const hit = callbackHits.find((url) => url.searchParams.get('certifyId') === certifyId);
    expect(hit?.pathname).toBe('/callbacks/aliyun');
    // Aliyun's fields appended in its order, the token as its own field, nothing else.
    expect([...(hit?.searchParams ?? [])]).toEqual([
      ['certifyId', certifyId],
      ['passed', 'T'],
      ['subcode', '200'],
      ['callbackToken', 'tokPass1'],
    ]);
    expect(await provider.describeFaceVerify(certifyId)).toMatchObject({ state: 'DONE', passed: true, subCode: '200' });
  });

  it('on "fail" calls back with passed=F', async () => {
    const { certifyId, certifyUrl } = await newSession('tokFail1');
    await press(certifyUrl, 'fail');
    const hit = callbackHits.find((url) => url.searchParams.get('certifyId') === certifyId);
    expect(hit?.searchParams.get('passed')).toBe('F');
    expect(hit?.searchParams.get('subcode')).toBe('205');
  });

  it('is single use: a second press and a reload get 410', async () => {
    const { certifyUrl } = await newSession('tokOnce1');
    await press(certifyUrl, 'pass');
    expect((await press(certifyUrl, 'fail')).status).toBe(410);
    expect((await fetch(certifyUrl)).status).toBe(410);
  });

  it('records a failed callback and still redirects', async () => {
    const { certifyId, certifyUrl } = await provider.initFaceVerify({
      outerOrderNo: `page${Date.now()}down`,
      name: NAME,
      idCardNumber: NUMBER,
      callbackUrl: 'http://127.0.0.1:9/callbacks/aliyun',
      callbackToken: 'x',
      returnUrl: RETURN_URL,
    });
    expect((await press(certifyUrl, 'pass')).status).toBe(303);
    expect(sandbox.callbacks.find((c) => c.certifyId === certifyId)).toMatchObject({ certifyId, ok: false, attempt: 1 });
  });

  it('calls back again when not answered 200, as Aliyun retries', async () => {
    const { certifyId, certifyUrl } = await newSession('flaky1');
    await press(certifyUrl, 'pass');
    await vi.waitFor(() => expect(sandbox.callbacks.filter((c) => c.certifyId === certifyId).map((c) => [c.attempt, c.status])).toEqual([[1, 503], [2, 200]]));
  });

  it('gives up after its retry schedule when the receiver never answers', async () => {
    const { certifyId, certifyUrl } = await provider.initFaceVerify({
      outerOrderNo: `page${Date.now()}gone`,
      name: NAME,
      idCardNumber: NUMBER,
      callbackUrl: 'http://127.0.0.1:9/callbacks/aliyun',
      callbackToken: 'x',
      returnUrl: RETURN_URL,
    });
    await press(certifyUrl, 'pass');
    await vi.waitFor(() => expect(sandbox.callbacks.filter((c) => c.certifyId === certifyId).map((c) => c.attempt)).toEqual([1, 2, 3]));
  });

  it('answers 404 for an unknown certifyId', async () => {
    expect((await fetch(`${sandbox.url}/certify/${'f'.repeat(32)}`)).status).toBe(404);
  });
});
