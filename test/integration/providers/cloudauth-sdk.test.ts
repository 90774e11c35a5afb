import { createRequire } from 'node:module';
import type CloudauthModule from '@alicloud/cloudauth20190307';
import { Config } from '@alicloud/openapi-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../../src/providers/sandbox/sandbox.server.js';

// Aliyun's own SDK signs ACS3-HMAC-SHA256, unlike pop-core's V1: the sandbox must accept both.
// A CommonJS package exporting its client as `exports.default`: Node's ESM loader and vitest disagree
// on what a default import of it is, require() does not.
const {
  default: Cloudauth,
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

describe('@alicloud/cloudauth20190307 against the sandbox', () => {
  it('calls Id2MetaVerify', async () => {
    const response = await newClient().id2MetaVerify(
      new Id2MetaVerifyRequest({ paramType: 'normal', identifyNum: NUMBER, userName: '张三' }),
    );
    expect(response.statusCode).toBe(200);
    expect(response.body?.code).toBe('200');
    expect(response.body?.resultObject?.bizCode).toBe('1');
  });

  it('calls InitFaceVerify, then DescribeFaceVerify before and after the user finishes', async () => {
    const client = newClient();
    const init = await client.initFaceVerify(
      new InitFaceVerifyRequest({
        sceneId: 1000000001,
        outerOrderNo: `sdk${Date.now()}`,
        productCode: 'ID_PRO',
        certType: 'IDENTITY_CARD',
        certName: '张三',
        certNo: NUMBER,
        returnUrl: 'https://app.example.test/done',
        callbackUrl: 'http://127.0.0.1:9/callbacks/aliyun',
        callbackToken: 't',
      }),
    );
    expect(init.body?.code).toBe('200');
    const certifyId = init.body?.resultObject?.certifyId ?? '';
    expect(certifyId).toMatch(/^[0-9a-f]{32}$/);

    const describe = () => client.describeFaceVerify(new DescribeFaceVerifyRequest({ sceneId: 1000000001, certifyId }));
    expect((await describe()).body?.code).toBe('403');
    await sandbox.complete(certifyId, 'pass');
    const done = await describe();
    expect(done.body?.code).toBe('200');
    expect(done.body?.resultObject).toMatchObject({ passed: 'T', subCode: '200' });
  });

  it('fails with the signature error when the secret is wrong', async () => {
    const call = newClient('wrong-secret').id2MetaVerify(
      new Id2MetaVerifyRequest({ paramType: 'normal', identifyNum: NUMBER, userName: '张三' }),
    );
    await expect(call).rejects.toMatchObject({ code: 'SignatureDoesNotMatch', statusCode: 400 });
  });
});
