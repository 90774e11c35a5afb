import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createAliyunProvider, type AliyunProviderOptions } from '../../../src/providers/aliyun/aliyun.provider.js';
import { ProviderError, type InitFaceVerifyInput } from '../../../src/providers/provider.js';
import { SANDBOX_MAGIC_NUMBERS } from '../../../src/providers/sandbox/magic-numbers.js';
import { sandboxMetaInfo } from '../../../src/providers/sandbox/meta-info.js';
import { startSandbox, type Sandbox } from '../../../src/providers/sandbox/sandbox.server.js';

const keys = { accessKeyId: 'test-ak', accessKeySecret: 'test-secret' };
const NAME = '张三';
const NUMBER = '110101199003071233';

let primary: Sandbox;
let failover: Sandbox;
let closedPortUrl: string;

beforeAll(async () => {
  [primary, failover] = await Promise.all([startSandbox({ port: 0, ...keys }), startSandbox({ port: 0, ...keys })]);
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  closedPortUrl = `http://127.0.0.1:${(probe.address() as AddressInfo).port}`;
  await new Promise((resolve) => probe.close(resolve));
});
afterAll(() => Promise.all([primary.close(), failover.close()]));
afterEach(() => {
  primary.clearFaults();
  failover.clearFaults();
});

function newProvider(overrides: Partial<AliyunProviderOptions> = {}) {
  return createAliyunProvider({
    mode: 'SANDBOX',
    ...keys,
    sceneId: '1000000001',
    endpoints: [primary.url, failover.url],
    timeoutMs: 300,
    retryDelayMs: 10,
    ...overrides,
  });
}

function order(): InitFaceVerifyInput {
  return {
    outerOrderNo: `order${Date.now()}${Math.floor(Math.random() * 1e6)}`,
    name: NAME,
    idCardNumber: NUMBER,
    callbackUrl: 'https://realname.example.test/callbacks/aliyun',
    callbackToken: 't',
    returnUrl: 'https://app.example.test/done',
    metaInfo: sandboxMetaInfo(),
  };
}

function callsTo(sandbox: Sandbox, action: string) {
  return sandbox.calls.filter((call) => call.action === action).length;
}

async function providerError(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

describe('createAliyunProvider resilience', () => {
  it.each(['http500', 'code500', 'malformed', 'badSignature', 'reset'] as const)(
    'fails over to the second endpoint when the primary gives %s',
    async (kind) => {
      primary.setFault({ kind });
      const warn = vi.fn();
      const before = callsTo(failover, 'Id2MetaVerify');
      expect(await newProvider({ logger: { warn } }).checkIdentity(NAME, NUMBER)).toBe('MATCH');
      expect(callsTo(failover, 'Id2MetaVerify')).toBe(before + 1);
      expect(warn).toHaveBeenCalledOnce();
      expect(JSON.stringify(warn.mock.calls)).not.toContain(NUMBER);
    },
  );

  it('retries a read once on the same endpoint before failing over', async () => {
    const { certifyId } = await newProvider({ endpoints: [primary.url] }).initFaceVerify(order());
    primary.setFault({ kind: 'code500', action: 'DescribeFaceVerify', times: 1 });
    const before = { primary: callsTo(primary, 'DescribeFaceVerify'), failover: callsTo(failover, 'DescribeFaceVerify') };
    expect(await newProvider().describeFaceVerify(certifyId)).toEqual({ state: 'PENDING' });
    expect(callsTo(primary, 'DescribeFaceVerify')).toBe(before.primary + 2);
    expect(callsTo(failover, 'DescribeFaceVerify')).toBe(before.failover);
  });

  it('fails InitFaceVerify over when the primary refuses connections', async () => {
    const session = await newProvider({ endpoints: [closedPortUrl, failover.url] }).initFaceVerify(order());
    expect(session.certifyUrl.startsWith(failover.url)).toBe(true);
  });

  it('fails InitFaceVerify over when the primary answers Code 500', async () => {
    primary.setFault({ kind: 'code500', action: 'InitFaceVerify' });
    const session = await newProvider().initFaceVerify(order());
    expect(session.certifyUrl.startsWith(failover.url)).toBe(true);
  });

  it('neither retries nor fails InitFaceVerify over after a timeout: a session may exist', async () => {
    primary.setFault({ kind: 'timeout', action: 'InitFaceVerify' });
    const before = { primary: callsTo(primary, 'InitFaceVerify'), failover: callsTo(failover, 'InitFaceVerify') };
    const error = await providerError(newProvider().initFaceVerify(order()));
    expect(error).toMatchObject({ kind: 'unavailable', providerCode: 'TIMEOUT' });
    expect(callsTo(primary, 'InitFaceVerify')).toBe(before.primary + 1);
    expect(callsTo(failover, 'InitFaceVerify')).toBe(before.failover);
  });

  it('succeeds when an answer is slow but within the timeout', async () => {
    primary.setFault({ kind: 'delay', ms: 100 });
    expect(await newProvider().checkIdentity(NAME, NUMBER)).toBe('MATCH');
  });

  it('gives up after two timed-out attempts on each endpoint when every endpoint hangs', async () => {
    primary.setFault({ kind: 'timeout' });
    failover.setFault({ kind: 'timeout' });
    const before = { primary: callsTo(primary, 'Id2MetaVerify'), failover: callsTo(failover, 'Id2MetaVerify') };
    const error = await providerError(newProvider().checkIdentity(NAME, NUMBER));
    expect(error).toMatchObject({ kind: 'unavailable', providerCode: 'TIMEOUT' });
    expect(callsTo(primary, 'Id2MetaVerify') - before.primary).toBe(2);
    expect(callsTo(failover, 'Id2MetaVerify') - before.failover).toBe(2);
  });

  it('reports a malformed answer as unavailable', async () => {
    primary.setFault({ kind: 'malformed' });
    const error = await providerError(newProvider({ endpoints: [primary.url] }).checkIdentity(NAME, NUMBER));
    expect(error).toMatchObject({ kind: 'unavailable', providerCode: 'MALFORMED_RESPONSE' });
  });

  it('opens the circuit after consecutive failures and then fails fast without calling', async () => {
    primary.setFault({ kind: 'http500' });
    const provider = newProvider({ endpoints: [primary.url], breaker: { consecutiveFailures: 3, halfOpenAfterMs: 60_000 } });
    await providerError(provider.checkIdentity(NAME, NUMBER)); // 2 attempts
    await providerError(provider.checkIdentity(NAME, NUMBER)); // 3rd attempt opens the circuit
    const calls = primary.calls.length;
    const error = await providerError(provider.checkIdentity(NAME, NUMBER));
    expect(error).toMatchObject({ kind: 'unavailable', providerCode: 'CIRCUIT_OPEN' });
    expect(primary.calls.length).toBe(calls);
  });

  it('uses the failover endpoint while the primary circuit is open', async () => {
    primary.setFault({ kind: 'http500' });
    const provider = newProvider({ breaker: { consecutiveFailures: 2, halfOpenAfterMs: 60_000 } });
    await provider.checkIdentity(NAME, NUMBER);
    const calls = primary.calls.length;
    expect(await provider.checkIdentity(NAME, NUMBER)).toBe('MATCH');
    expect(primary.calls.length).toBe(calls);
  });

  it('does not fail over a refusal of what we sent', async () => {
    const before = callsTo(failover, 'Id2MetaVerify');
    const error = await providerError(newProvider().checkIdentity(NAME, '110101199003071234'));
    expect(error).toMatchObject({ kind: 'misconfigured', providerCode: '401' });
    expect(callsTo(failover, 'Id2MetaVerify')).toBe(before);
  });

  it.each([
    ['Id2MetaVerify 403', (p: ReturnType<typeof newProvider>) => p.checkIdentity(NAME, SANDBOX_MAGIC_NUMBERS.TOO_MANY_REPEATED_CALLS), 'Id2MetaVerify'],
    ['InitFaceVerify 417', (p: ReturnType<typeof newProvider>) => p.initFaceVerify({ ...order(), idCardNumber: SANDBOX_MAGIC_NUMBERS.NO_COMPARISON_SOURCE }), 'InitFaceVerify'],
    ['InitFaceVerify 418', (p: ReturnType<typeof newProvider>) => p.initFaceVerify({ ...order(), idCardNumber: SANDBOX_MAGIC_NUMBERS.TOO_MANY_ATTEMPTS }), 'InitFaceVerify'],
  ])('keeps the final answer %s out of retries, failover and the breaker', async (_, ask, action) => {
    const provider = newProvider({ breaker: { consecutiveFailures: 2, halfOpenAfterMs: 60_000 } });
    const before = { primary: callsTo(primary, action), failover: callsTo(failover, action) };
    for (let i = 0; i < 3; i++) expect(await providerError(ask(provider))).toMatchObject({ kind: 'rejected' });
    expect(callsTo(primary, action)).toBe(before.primary + 3);
    expect(callsTo(failover, action)).toBe(before.failover);
    const afterwards = primary.calls.length;
    expect(await provider.checkIdentity(NAME, NUMBER)).toBe('MATCH');
    expect(primary.calls.length).toBe(afterwards + 1);
  });

  it('keeps DescribeFaceVerify 427 and 406 out of retries: a failed outcome, one call each', async () => {
    const provider = newProvider({ endpoints: [primary.url] });
    const { certifyId } = await provider.initFaceVerify({ ...order(), idCardNumber: SANDBOX_MAGIC_NUMBERS.RISK_POLICY });
    await primary.complete(certifyId, 'pass');
    const before = callsTo(primary, 'DescribeFaceVerify');
    expect(await provider.describeFaceVerify(certifyId)).toMatchObject({ passed: false, failureCode: 'POLICY' });
    expect(await provider.describeFaceVerify('f'.repeat(32))).toMatchObject({ passed: false, failureCode: 'PROVIDER_REJECTED' });
    expect(callsTo(primary, 'DescribeFaceVerify')).toBe(before + 2);
  });

  it('retries a read once when throttled (Throttling.User) and succeeds', async () => {
    primary.setFault({ kind: 'throttle', action: 'Id2MetaVerify', times: 1 });
    const before = callsTo(primary, 'Id2MetaVerify');
    expect(await newProvider({ endpoints: [primary.url] }).checkIdentity(NAME, NUMBER)).toBe('MATCH');
    expect(callsTo(primary, 'Id2MetaVerify')).toBe(before + 2);
  });

  it('reports a per-API QPS limit as unavailable, not as the user\'s answer', async () => {
    const instant = new Date();
    const limited = await startSandbox({ port: 0, ...keys, now: () => instant, qpsLimits: { Id2MetaVerify: 1 } });
    try {
      const provider = newProvider({ endpoints: [limited.url] });
      expect(await provider.checkIdentity(NAME, NUMBER)).toBe('MATCH');
      expect(await providerError(provider.checkIdentity(NAME, NUMBER))).toMatchObject({ kind: 'unavailable', providerCode: 'Throttling.User' });
      expect(await provider.initFaceVerify(order())).toMatchObject({ certifyId: expect.any(String) });
    } finally {
      await limited.close();
    }
  });
});
