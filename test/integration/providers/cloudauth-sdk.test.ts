import { createRequire } from 'node:module';
import type CloudauthModule from '@alicloud/cloudauth20190307';
import { Config } from '@alicloud/openapi-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_MAGIC_IMAGES } from '../../../src/providers/sandbox/magic-images.js';
import { sandboxMetaInfo } from '../../../src/providers/sandbox/meta-info.js';
import { startSandbox, type Sandbox } from '../../../src/providers/sandbox/sandbox.server.js';

// Aliyun's own SDK signs ACS3-HMAC-SHA256, unlike pop-core's V1: the sandbox must accept both. It is
// a real external client here: if the emulator drifted from Aliyun's wire, these calls would fail.
// A CommonJS package exporting its client as `exports.default`: Node's ESM loader and vitest disagree
// on what a default import of it is, require() does not.
const {
  default: Cloudauth,
  ContrastFaceVerifyRequest,
  DescribeFaceVerifyRequest,
  Id2MetaVerifyRequest,
  InitFaceVerifyRequest,
} = createRequire(import.meta.url)('@alicloud/cloudauth20190307') as typeof CloudauthModule;

const keys = { accessKeyId: 'test-ak', accessKeySecret: 'test-secret' };
const NUMBER = '110101199003071233';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, ...keys });
});
afterAll(() => sandbox.close());

function newClient(accessKeySecret = keys.accessKeySecret) {
  const config = new Config({
    accessKeyId: keys.accessKeyId,
    accessKeySecret,
    endpoint: new URL(sandbox.url).host,
    protocol: 'http',
  });
  return new Cloudauth(config);
}

const initRequest = (changes: Record<string, unknown> = {}) =>
  new InitFaceVerifyRequest({
    sceneId: 1000000001,
    outerOrderNo: `sdk${Date.now()}${Math.floor(Math.random() * 1e6)}`,
    productCode: 'ID_PRO',
    certType: 'IDENTITY_CARD',
    certName: '张三',
    certNo: NUMBER,
    metaInfo: sandboxMetaInfo(),
    model: 'MOVE_ACTION',
    returnUrl: 'https://app.example.test/done',
    callbackUrl: 'https://realname.example.test/callbacks/aliyun',
    callbackToken: 't',
    ...changes,
  });

describe('@alicloud/cloudauth20190307 against the sandbox', () => {
  it('calls Id2MetaVerify', async () => {
    const response = await newClient().id2MetaVerify(
      new Id2MetaVerifyRequest({ paramType: 'normal', identifyNum: NUMBER, userName: '张三' }),
    );
    expect(response.statusCode).toBe(200);
    expect(response.body?.code).toBe('200');
    expect(response.body?.resultObject?.bizCode).toBe('1');
  });

  it('calls InitFaceVerify, then DescribeFaceVerify before (424) and after the user finishes', async () => {
    const client = newClient();
    const init = await client.initFaceVerify(initRequest());
    expect(init.body?.code).toBe('200');
    const certifyId = init.body?.resultObject?.certifyId ?? '';
    expect(certifyId).toMatch(/^[0-9a-f]{32}$/);

    const describe = () => client.describeFaceVerify(new DescribeFaceVerifyRequest({ sceneId: 1000000001, certifyId }));
    expect((await describe()).body?.code).toBe('424');
    await sandbox.complete(certifyId, 'pass');
    const done = await describe();
    expect(done.body?.code).toBe('200');
    expect(done.body?.resultObject).toMatchObject({ passed: 'T', subCode: '200' });
    const material = JSON.parse(done.body?.resultObject?.materialInfo ?? '{}') as { facialPictureFront?: { pictureUrl?: string } };
    expect(material.facialPictureFront?.pictureUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/materials\//);
  });

  it('gets Code 400 from InitFaceVerify without MetaInfo and 401 for an http CallbackUrl', async () => {
    expect((await newClient().initFaceVerify(initRequest({ metaInfo: undefined }))).body?.code).toBe('400');
    expect((await newClient().initFaceVerify(initRequest({ callbackUrl: 'http://realname.example.test/cb' }))).body?.code).toBe('401');
  });

  it('gets Code 406 from DescribeFaceVerify for a CertifyId never issued', async () => {
    const response = await newClient().describeFaceVerify(new DescribeFaceVerifyRequest({ sceneId: 1000000001, certifyId: 'f'.repeat(32) }));
    expect(response.body?.code).toBe('406');
  });

  it('calls ContrastFaceVerify (ID_MIN) with a magic image', async () => {
    const response = await newClient().contrastFaceVerify(
      new ContrastFaceVerifyRequest({
        sceneId: 1000000001,
        outerOrderNo: `sdkmin${Date.now()}`,
        productCode: 'ID_MIN',
        certType: 'IDENTITY_CARD',
        certName: '张三',
        certNo: NUMBER,
        faceContrastPicture: SANDBOX_MAGIC_IMAGES.LIVENESS_RISK.toString('base64'),
      }),
    );
    expect(response.body?.code).toBe('200');
    expect(response.body?.resultObject).toMatchObject({ passed: 'F', subCode: '205' });
  });

  it('is refused InvalidTimeStamp.Expired when x-acs-date is more than 15 minutes from the sandbox clock', async () => {
    const skewed = await startSandbox({ port: 0, ...keys, now: () => new Date(Date.now() + 16 * 60_000) });
    try {
      const client = new Cloudauth(new Config({ ...keys, endpoint: new URL(skewed.url).host, protocol: 'http' }));
      const call = client.id2MetaVerify(new Id2MetaVerifyRequest({ paramType: 'normal', identifyNum: NUMBER, userName: '张三' }));
      await expect(call).rejects.toMatchObject({ code: 'InvalidTimeStamp.Expired', statusCode: 400 });
    } finally {
      await skewed.close();
    }
  });

  it('fails with the signature error when the secret is wrong', async () => {
    const call = newClient('wrong-secret').id2MetaVerify(
      new Id2MetaVerifyRequest({ paramType: 'normal', identifyNum: NUMBER, userName: '张三' }),
    );
    await expect(call).rejects.toMatchObject({ code: 'SignatureDoesNotMatch', statusCode: 400 });
  });
});
