import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_MAGIC_IMAGES } from '../../../src/providers/sandbox/magic-images.js';
import { SANDBOX_MAGIC_NUMBERS } from '../../../src/providers/sandbox/magic-numbers.js';
import { META_INFO_SCRIPT_PATH } from '../../../src/providers/sandbox/meta-info.js';
import { startSandbox, type Sandbox } from '../../../src/providers/sandbox/sandbox.server.js';
import { verificationRepository } from '../../../src/repositories/verification.repository.js';
import { CONSENT_VERSION, gql, START, startTestApp, tokenFor, type TestApp } from '../../support/app.js';
import { validIdNumber } from '../../support/id-numbers.js';

const keys = { accessKeyId: 'live-ak', accessKeySecret: 'live-secret' };
const STATUS = `query { userAuthStatus { status } }`;

/** The LIVE client against the emulator standing in for cloudauth.cn-shanghai/beijing: same code path as production. */
function liveEnv(sandbox: Sandbox, publicBaseUrl: string) {
  return {
    PROVIDER: 'aliyun',
    ALIYUN_ACCESS_KEY_ID: keys.accessKeyId,
    ALIYUN_ACCESS_KEY_SECRET: keys.accessKeySecret,
    ALIYUN_SCENE_ID: '1000000001',
    ALIYUN_ENDPOINT: sandbox.url,
    ALIYUN_FAILOVER_ENDPOINT: sandbox.url,
    PUBLIC_BASE_URL: publicBaseUrl,
    START_LIMIT_PER_IP: '1000',
    START_LIMIT_PER_USER: '1000',
    LOCKOUT_FAILURES: '2',
  };
}

/** What a page gets from `getMetaInfo()` after loading the emulator's stand-in of Aliyun's script. */
async function metaInfoFromScript(sandbox: Sandbox): Promise<string> {
  const script = await (await fetch(`${sandbox.url}${META_INFO_SCRIPT_PATH}`)).text();
  const window: { getMetaInfo?: () => string } = {};
  runInNewContext(script, { window, navigator: { userAgent: 'Mozilla/5.0 (test)' } });
  return window.getMetaInfo!();
}

const calls = (sandbox: Sandbox, action: string) => sandbox.calls.filter((c) => c.action === action).length;

describe('the service against Aliyun as documented (LIVE client, emulator as cloudauth)', () => {
  let sandbox: Sandbox;
  let live: TestApp;
  let unreachable: TestApp;
  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0, ...keys });
    live = await startTestApp({ env: liveEnv(sandbox, 'https://realname.example.test') });
    // An http PUBLIC_BASE_URL: Aliyun answers Code 401 to the CallbackUrl built from it.
    unreachable = await startTestApp({ env: liveEnv(sandbox, 'http://127.0.0.1:9') });
  });
  afterAll(async () => {
    await live?.stop();
    await unreachable?.stop();
    await sandbox?.close();
  });

  const start = async (app: TestApp, userId: string, input: Record<string, unknown>) => {
    const res = await gql(app, START, { input: { realName: '张三', idCardNumber: validIdNumber(), consentVersion: CONSENT_VERSION, biometricConsent: true, ...input } }, await tokenFor(userId));
    return { verification: res.data?.startVerification, error: res.errors?.[0] };
  };

  it('refuses a LIVE start without metaInfo before Aliyun is called', async () => {
    const before = sandbox.calls.length;
    const { error } = await start(live, 'live-no-meta', {});
    expect(error?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(error?.message).toContain('getMetaInfo()');
    expect(sandbox.calls.length).toBe(before);
  });

  it('opens a LIVE session with the metaInfo the page got from getMetaInfo()', async () => {
    const { verification, error } = await start(live, 'live-meta', { metaInfo: await metaInfoFromScript(sandbox) });
    expect(error).toBeUndefined();
    expect(verification).toMatchObject({ status: 'PENDING', certifyUrl: expect.stringContaining(`${sandbox.url}/certify/`) });
  });

  it('treats Code 401 for an unusable CallbackUrl as our configuration: no FAILED record, no lockout', async () => {
    const metaInfo = await metaInfoFromScript(sandbox);
    for (let i = 0; i < 3; i++) {
      const { error } = await start(unreachable, 'live-401', { metaInfo });
      expect(error?.extensions?.code).toBe('PROVIDER_UNAVAILABLE');
    }
    expect(await verificationRepository.allForUser(unreachable.db, 'live-401')).toEqual([]);
    expect((await gql(unreachable, STATUS, {}, await tokenFor('live-401'))).data?.userAuthStatus.status).toBe('UNVERIFIED');
    expect(unreachable.logs.lines.some((line) => line.includes('check the Aliyun configuration'))).toBe(true);
  });

  it('checks the age (14+) from the number itself: FAILED UNDER_AGE, and Aliyun is never asked', async () => {
    const before = { id2meta: calls(sandbox, 'Id2MetaVerify'), init: calls(sandbox, 'InitFaceVerify') };
    const { verification } = await start(live, 'live-child', { metaInfo: await metaInfoFromScript(sandbox), idCardNumber: SANDBOX_MAGIC_NUMBERS.UNDER_14 });
    expect(verification).toMatchObject({ status: 'FAILED', failureReason: { code: 'UNDER_AGE' } });
    expect(calls(sandbox, 'Id2MetaVerify')).toBe(before.id2meta);
    expect(calls(sandbox, 'InitFaceVerify')).toBe(before.init);
  });

  it('refuses a name written in Latin letters itself, as Aliyun would', async () => {
    const { error } = await start(live, 'live-latin', { metaInfo: await metaInfoFromScript(sandbox), realName: 'Zhang San' });
    expect(error?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it.each([
    ['Id2MetaVerify 403', SANDBOX_MAGIC_NUMBERS.TOO_MANY_REPEATED_CALLS, 'TOO_MANY_ATTEMPTS'],
    ['InitFaceVerify 417', SANDBOX_MAGIC_NUMBERS.NO_COMPARISON_SOURCE, 'NO_ID_PHOTO'],
    ['InitFaceVerify 418', SANDBOX_MAGIC_NUMBERS.TOO_MANY_ATTEMPTS, 'TOO_MANY_ATTEMPTS'],
  ])('ends a start refused with %s as FAILED with our failure code', async (_, idCardNumber, code) => {
    const { verification } = await start(live, `live-final-${code}-${idCardNumber}`, { metaInfo: await metaInfoFromScript(sandbox), idCardNumber });
    expect(verification).toMatchObject({ status: 'FAILED', failureReason: { code } });
  });

  it('runs the WeChat path in LIVE without metaInfo: ContrastFaceVerify takes none', async () => {
    const token = await tokenFor('live-wechat');
    const res = await gql(live, `mutation($input: StartVerificationInput!) { startFaceCapture(input: $input) { id status faceCaptureUrl } }`, { input: { realName: '张三', idCardNumber: validIdNumber(), consentVersion: CONSENT_VERSION, biometricConsent: true } }, token);
    const { id, status } = res.data!.startFaceCapture as { id: string; status: string };
    expect(status).toBe('PENDING');
    const before = calls(sandbox, 'ContrastFaceVerify');
    const upload = await fetch(`${live.url}/face-captures/${id}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'image/jpeg' }, body: SANDBOX_MAGIC_IMAGES.PASS });
    expect(await upload.json()).toMatchObject({ verification: { id, status: 'VERIFIED' } });
    expect(calls(sandbox, 'ContrastFaceVerify')).toBe(before + 1);
  });
});
