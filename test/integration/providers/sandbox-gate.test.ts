import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identities } from '../../../src/db/schema.js';
import { startSandbox, type Sandbox } from '../../../src/providers/sandbox/sandbox.server.js';
import { CONSENT_VERSION, gql, serviceToken, startTestApp, tokenFor, type TestApp } from '../../support/app.js';
import { validIdNumber } from '../../support/id-numbers.js';
import { verifiedUser } from '../../support/verified-user.js';

const GATE = `mutation($u: ID) { verifyIdentity(userId: $u) { passed reason } }`;
const STATUS = `query($u: ID) { userAuthStatus(userId: $u) { status isValid } }`;
const START_CAPTURE = `mutation($input: StartVerificationInput!) { startFaceCapture(input: $input) { id status } }`;

/** A SANDBOX deployment and a LIVE one (the emulator standing in for cloudauth) on one database. */
describe('sandbox results and the production gate', () => {
  let cloudauth: Sandbox;
  let sandboxed: TestApp;
  let live: TestApp;
  beforeAll(async () => {
    cloudauth = await startSandbox({ port: 0, accessKeyId: 'live-ak', accessKeySecret: 'live-secret' });
    sandboxed = await startTestApp();
    live = await startTestApp({
      databaseUrl: sandboxed.config.DATABASE_URL!,
      env: {
        PROVIDER: 'aliyun',
        ALIYUN_ACCESS_KEY_ID: 'live-ak',
        ALIYUN_ACCESS_KEY_SECRET: 'live-secret',
        ALIYUN_SCENE_ID: '1000000001',
        ALIYUN_ENDPOINT: cloudauth.url,
        ALIYUN_FAILOVER_ENDPOINT: cloudauth.url,
        PUBLIC_BASE_URL: 'https://realname.example.test',
      },
    });
  });
  afterAll(async () => {
    await live?.stop();
    await sandboxed?.stop();
    await cloudauth?.close();
  });

  it('stores the mode of the verification on the identity', async () => {
    const user = await verifiedUser(sandboxed, 'mode-stored');
    const rows = await sandboxed.db.select().from(identities);
    expect(rows.find((r) => r.userId === user.userId)).toMatchObject({ mode: 'SANDBOX', verificationId: user.verificationId });
  });

  it('passes a sandbox-verified identity at the sandbox gate, never at the LIVE gate', async () => {
    const user = await verifiedUser(sandboxed, 'sandbox-bound');
    const service = await serviceToken();
    expect((await gql(sandboxed, GATE, { u: user.userId }, service)).data!.verifyIdentity).toEqual({ passed: true, reason: null });
    expect((await gql(live, GATE, { u: user.userId }, service)).data!.verifyIdentity).toEqual({ passed: false, reason: 'UNVERIFIED' });
    expect((await gql(live, STATUS, { u: user.userId }, service)).data!.userAuthStatus).toEqual({ status: 'UNVERIFIED', isValid: false });
  });

  it('lets the holder of a sandbox identity start for real in LIVE', async () => {
    const user = await verifiedUser(sandboxed, 'sandbox-then-live');
    const input = { realName: '张三', idCardNumber: validIdNumber(), consentVersion: CONSENT_VERSION, biometricConsent: true };
    const res = await gql(live, START_CAPTURE, { input }, await tokenFor(user.userId));
    expect(res.errors).toBeUndefined();
    expect(res.data!.startFaceCapture.status).toBe('PENDING');
  });
  it('never renews or steps up a sandbox identity in LIVE: its name and number were never matched for real', async () => {
    const user = await verifiedUser(sandboxed, 'sandbox-renew-live');
    const input = { consentVersion: CONSENT_VERSION, biometricConsent: true };
    const token = await tokenFor(user.userId);
    for (const mutation of ['renewVerification', 'startStepUp']) {
      const res = await gql(live, `mutation($input: FaceCheckInput!) { ${mutation}(input: $input) { id } }`, { input }, token);
      expect(res.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    }
  });
});
