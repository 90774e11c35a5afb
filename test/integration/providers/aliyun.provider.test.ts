import RPCClient from '@alicloud/pop-core';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAliyunProvider, type AliyunProviderOptions } from '../../../src/providers/aliyun/aliyun.provider.js';
import { ProviderError, type InitFaceVerifyInput } from '../../../src/providers/provider.js';
import { SANDBOX_MAGIC_IMAGES } from '../../../src/providers/sandbox/magic-images.js';
import { SANDBOX_MAGIC_NUMBERS } from '../../../src/providers/sandbox/magic-numbers.js';
import { sandboxMetaInfo } from '../../../src/providers/sandbox/meta-info.js';
import { startSandbox, type Sandbox } from '../../../src/providers/sandbox/sandbox.server.js';

const keys = { accessKeyId: 'test-ak', accessKeySecret: 'test-secret' };
const NAME = '张三';

function idCardNumber(first17: string): string {
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...first17].reduce((total, digit, i) => total + Number(digit) * weights[i], 0);
  return first17 + '10X98765432'[sum % 11];
}
const ORDINARY = idCardNumber('32010219880808442');
const CHECKSUM_INVALID = ORDINARY.slice(0, 17) + (ORDINARY[17] === '0' ? '1' : '0');

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, ...keys });
});
afterAll(() => sandbox.close());

function newProvider(overrides: Partial<AliyunProviderOptions> = {}) {
  return createAliyunProvider({
    mode: 'SANDBOX',
    ...keys,
    sceneId: '1000000001',
    endpoints: [sandbox.url],
    timeoutMs: 2_000,
    ...overrides,
  });
}

let orders = 0;
function newOrder(number = ORDINARY): InitFaceVerifyInput {
  orders += 1;
  return {
    outerOrderNo: `order${Date.now()}n${orders}`,
    name: NAME,
    idCardNumber: number,
    callbackUrl: 'https://realname.example.test/callbacks/aliyun',
    callbackToken: 't0ken',
    returnUrl: 'https://app.example.test/done',
    metaInfo: sandboxMetaInfo(),
  };
}

async function providerError(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

describe('createAliyunProvider against the sandbox', () => {
  describe('checkIdentity', () => {
    it('matches an ordinary checksum-valid number', async () => {
      expect(await newProvider().checkIdentity(NAME, ORDINARY)).toBe('MATCH');
    });

    it.each([
      ['NAME_MISMATCH', SANDBOX_MAGIC_NUMBERS.NAME_MISMATCH, 'MISMATCH'],
      ['NO_RECORD', SANDBOX_MAGIC_NUMBERS.NO_RECORD, 'NO_RECORD'],
    ])('reports %s', async (_, number, expected) => {
      expect(await newProvider().checkIdentity(NAME, number)).toBe(expected);
    });

    it('treats Code 401 for a checksum-invalid number as our fault: the service validates numbers first', async () => {
      const error = await providerError(newProvider().checkIdentity(NAME, CHECKSUM_INVALID));
      expect(error).toMatchObject({ kind: 'misconfigured', providerCode: '401' });
    });

    it('gives Code 403 (too many repeated calls) as a final TOO_MANY_ATTEMPTS', async () => {
      const error = await providerError(newProvider().checkIdentity(NAME, SANDBOX_MAGIC_NUMBERS.TOO_MANY_REPEATED_CALLS));
      expect(error).toMatchObject({ kind: 'rejected', providerCode: '403', failureCode: 'TOO_MANY_ATTEMPTS' });
    });

    it('is refused Code 401 for a name in Latin letters, as Aliyun does', async () => {
      const error = await providerError(newProvider().checkIdentity('Zhang San', ORDINARY));
      expect(error).toMatchObject({ kind: 'misconfigured', providerCode: '401' });
    });
  });

  describe('initFaceVerify', () => {
    it('opens a session with a certifyUrl on the sandbox', async () => {
      const session = await newProvider().initFaceVerify(newOrder());
      expect(session.certifyId).toMatch(/^[0-9a-f]{32}$/);
      expect(session.certifyUrl).toBe(`${sandbox.url}/certify/${session.certifyId}`);
    });

    it.each([
      ['TOO_MANY_ATTEMPTS', SANDBOX_MAGIC_NUMBERS.TOO_MANY_ATTEMPTS, '418', 'TOO_MANY_ATTEMPTS'],
      ['NO_COMPARISON_SOURCE', SANDBOX_MAGIC_NUMBERS.NO_COMPARISON_SOURCE, '417', 'NO_ID_PHOTO'],
    ])('gives %s as a final answer with our failure code', async (_, number, code, failureCode) => {
      const error = await providerError(newProvider().initFaceVerify(newOrder(number)));
      expect(error).toMatchObject({ kind: 'rejected', providerCode: code, failureCode });
    });

    it('answers Code 417 to a new start for an identity whose session ended SubCode 203', async () => {
      const provider = newProvider();
      const first = await provider.initFaceVerify(newOrder(SANDBOX_MAGIC_NUMBERS.NO_ID_PHOTO));
      await sandbox.complete(first.certifyId, 'pass');
      expect(await provider.describeFaceVerify(first.certifyId)).toMatchObject({ passed: false, subCode: '203', failureCode: 'NO_ID_PHOTO' });
      const error = await providerError(provider.initFaceVerify(newOrder(SANDBOX_MAGIC_NUMBERS.NO_ID_PHOTO)));
      expect(error).toMatchObject({ kind: 'rejected', providerCode: '417', failureCode: 'NO_ID_PHOTO' });
    });

    it('has no age code: an under-14 number is not refused by Aliyun (the service refuses it)', async () => {
      expect(await newProvider().initFaceVerify(newOrder(SANDBOX_MAGIC_NUMBERS.UNDER_14))).toMatchObject({ certifyId: expect.any(String) });
    });

    it.each([
      ['a checksum-invalid number', { idCardNumber: CHECKSUM_INVALID }],
      ['a name in Latin letters', { name: 'Zhang San' }],
      ['an http CallbackUrl (Aliyun calls back https only)', { callbackUrl: 'http://realname.example.test/callbacks/aliyun' }],
      ['a MetaInfo that getMetaInfo() did not make', { metaInfo: 'hardcoded' }],
    ])('is refused Code 401 for %s, which is our configuration\'s fault', async (_, change) => {
      const error = await providerError(newProvider().initFaceVerify({ ...newOrder(), ...change }));
      expect(error).toMatchObject({ kind: 'misconfigured', providerCode: '401' });
    });

    it('is refused Code 400 without MetaInfo', async () => {
      const { metaInfo: _, ...withoutMetaInfo } = newOrder();
      const error = await providerError(newProvider().initFaceVerify(withoutMetaInfo));
      expect(error).toMatchObject({ kind: 'misconfigured', providerCode: 'NO_META_INFO' });
    });

    it('is refused a non-numeric SceneId, as our configuration', async () => {
      const error = await providerError(newProvider({ sceneId: 'scene-a' }).initFaceVerify(newOrder()));
      expect(error).toMatchObject({ kind: 'misconfigured', providerCode: '401' });
    });

    it('sends the configured Model and, for elderlyMode, SuitableType; the certify page echoes both', async () => {
      const { certifyUrl } = await newProvider({ model: 'PHOTINUS_LIVENESS' }).initFaceVerify({ ...newOrder(), elderlyMode: true });
      const html = await (await fetch(certifyUrl)).text();
      expect(html).toContain('data-testid="sandbox-model">PHOTINUS_LIVENESS<');
      expect(html).toContain('data-testid="sandbox-elderly">已开启(SuitableType ELDER)<');
    });

    it.each([
      ['a Model Aliyun does not document', { Model: 'BLINK_TWICE' }, '401'],
      ['a SuitableType it does not know', { SuitableType: 'CHILD' }, '401'],
      ['a documented Model with SuitableType', { Model: 'MULTI_FAPTCHA', SuitableType: 'ELDER' }, undefined],
    ])('answers %s with Code %s', async (_, params, code) => {
      const order = newOrder();
      const client = new RPCClient({ endpoint: sandbox.url, apiVersion: '2019-03-07', ...keys });
      const base = {
        SceneId: '1000000001',
        OuterOrderNo: order.outerOrderNo,
        ProductCode: 'ID_PRO',
        CertType: 'IDENTITY_CARD',
        CertName: NAME,
        CertNo: ORDINARY,
        MetaInfo: order.metaInfo!,
      };
      const error = await client.request('InitFaceVerify', { ...base, ...params }, { method: 'POST' }).then(
        () => undefined,
        (caught: { data?: { Code?: string } }) => caught,
      );
      expect(error?.data?.Code).toBe(code);
    });

    it('sends Model MOVE_ACTION and the user\'s Ip, which the certify page echoes', async () => {
      const { certifyUrl } = await newProvider().initFaceVerify({ ...newOrder(), ip: '203.0.113.7' });
      const html = await (await fetch(certifyUrl)).text();
      expect(html).toContain('data-testid="sandbox-model">MOVE_ACTION<');
      expect(html).toContain('data-testid="sandbox-ip">203.0.113.7<');
    });
  });

  describe('describeFaceVerify', () => {
    it('is PENDING while the user has not finished (Code 424)', async () => {
      const provider = newProvider();
      const { certifyId } = await provider.initFaceVerify(newOrder());
      expect(await provider.describeFaceVerify(certifyId)).toEqual({ state: 'PENDING' });
    });

    it('ends with PROVIDER_REJECTED for a CertifyId Aliyun never issued (Code 406)', async () => {
      expect(await newProvider().describeFaceVerify('0'.repeat(32))).toEqual({ state: 'DONE', passed: false, subCode: '406', failureCode: 'PROVIDER_REJECTED' });
    });

    it('ends with POLICY when the risk policy refuses an answer (Code 427)', async () => {
      const provider = newProvider();
      const { certifyId } = await provider.initFaceVerify(newOrder(SANDBOX_MAGIC_NUMBERS.RISK_POLICY));
      await sandbox.complete(certifyId, 'pass');
      expect(await provider.describeFaceVerify(certifyId)).toMatchObject({ passed: false, subCode: '427', failureCode: 'POLICY' });
    });

    it('fetches no picture unless face images are kept', async () => {
      const provider = newProvider({ fetchFaceImages: false });
      const { certifyId } = await provider.initFaceVerify(newOrder());
      await sandbox.complete(certifyId, 'pass');
      expect(await provider.describeFaceVerify(certifyId)).toEqual({ state: 'DONE', passed: true, subCode: '200' });
    });

    it('is DONE and passed, with the picture read from MaterialInfo\'s camelCase pictureUrl, after "pass"', async () => {
      const provider = newProvider({ fetchFaceImages: true });
      const { certifyId } = await provider.initFaceVerify(newOrder());
      await sandbox.complete(certifyId, 'pass');
      const outcome = await provider.describeFaceVerify(certifyId);
      expect(outcome).toMatchObject({ state: 'DONE', passed: true, subCode: '200' });
      const image = outcome.state === 'DONE' && outcome.passed ? outcome.faceImage : undefined;
      expect(image?.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    });

    it.each([
      ['NAME_MISMATCH', SANDBOX_MAGIC_NUMBERS.NAME_MISMATCH, '201'],
      ['NO_RECORD', SANDBOX_MAGIC_NUMBERS.NO_RECORD, '202'],
      ['FACE_MISMATCH', SANDBOX_MAGIC_NUMBERS.FACE_MISMATCH, '204'],
      ['LIVENESS_RISK', SANDBOX_MAGIC_NUMBERS.LIVENESS_RISK, '205'],
    ])('fails %s even after "pass"', async (_, number, subCode) => {
      const provider = newProvider();
      const { certifyId } = await provider.initFaceVerify(newOrder(number));
      await sandbox.complete(certifyId, 'pass');
      expect(await provider.describeFaceVerify(certifyId)).toMatchObject({ state: 'DONE', passed: false, subCode });
    });

    it('gives our failure code, not only the provider SubCode', async () => {
      const provider = newProvider();
      const { certifyId } = await provider.initFaceVerify(newOrder(SANDBOX_MAGIC_NUMBERS.FACE_MISMATCH));
      await sandbox.complete(certifyId, 'pass');
      expect(await provider.describeFaceVerify(certifyId)).toMatchObject({ passed: false, failureCode: 'FACE_MISMATCH' });
    });

    it('fails with liveness risk after "fail"', async () => {
      const provider = newProvider();
      const { certifyId } = await provider.initFaceVerify(newOrder());
      await sandbox.complete(certifyId, 'fail');
      expect(await provider.describeFaceVerify(certifyId)).toMatchObject({ state: 'DONE', passed: false, subCode: '205' });
    });
  });

  describe('contrastFaceVerify (ID_MIN, the WeChat path)', () => {
    const capture = (image: Buffer, number = ORDINARY) => ({ outerOrderNo: `cap${Date.now()}${orders++}`, name: NAME, idCardNumber: number, image });

    it.each([
      ['PASS', SANDBOX_MAGIC_IMAGES.PASS, { passed: true, subCode: '200' }],
      ['FACE_MISMATCH', SANDBOX_MAGIC_IMAGES.FACE_MISMATCH, { passed: false, subCode: '204', failureCode: 'FACE_MISMATCH' }],
      ['LIVENESS_RISK', SANDBOX_MAGIC_IMAGES.LIVENESS_RISK, { passed: false, subCode: '205', failureCode: 'LIVENESS_RISK' }],
    ])('answers the magic image %s at once', async (_, image, expected) => {
      const outcome = await newProvider().contrastFaceVerify(capture(image));
      expect(outcome).toMatchObject({ state: 'DONE', ...expected, certifyId: expect.stringMatching(/^[0-9a-f]{32}$/) });
    });

    it('applies the number\'s magic before the image\'s', async () => {
      const outcome = await newProvider().contrastFaceVerify(capture(SANDBOX_MAGIC_IMAGES.PASS, SANDBOX_MAGIC_NUMBERS.FACE_MISMATCH));
      expect(outcome).toMatchObject({ passed: false, subCode: '204', failureCode: 'FACE_MISMATCH' });
    });

    it('is refused Code 401 for bytes that are not a JPEG or PNG', async () => {
      const error = await providerError(newProvider().contrastFaceVerify(capture(Buffer.from('not an image'))));
      expect(error).toMatchObject({ kind: 'misconfigured', providerCode: '401' });
    });
  });

  describe('credentials', () => {
    it('is unavailable with a wrong secret (SignatureDoesNotMatch)', async () => {
      const error = await providerError(newProvider({ accessKeySecret: 'wrong' }).checkIdentity(NAME, ORDINARY));
      expect(error).toMatchObject({ kind: 'unavailable', providerCode: 'SignatureDoesNotMatch' });
    });

    it('is unavailable with an unknown access key id', async () => {
      const error = await providerError(newProvider({ accessKeyId: 'nobody' }).checkIdentity(NAME, ORDINARY));
      expect(error).toMatchObject({ kind: 'unavailable', providerCode: 'InvalidAccessKeyId.NotFound' });
    });
  });

  describe('personal data', () => {
    it('keeps the name, number and request URL out of every error', async () => {
      const errors = [
        await providerError(newProvider().initFaceVerify(newOrder(CHECKSUM_INVALID))),
        await providerError(newProvider({ accessKeySecret: 'wrong' }).initFaceVerify(newOrder(ORDINARY))),
        await providerError(newProvider({ sceneId: 'x' }).initFaceVerify(newOrder(ORDINARY))),
      ];
      for (const error of errors) {
        const text = `${error.message} ${error.stack ?? ''} ${JSON.stringify(error)}`;
        for (const secret of [NAME, encodeURIComponent(NAME), ORDINARY, CHECKSUM_INVALID, sandbox.url, 'CertNo']) {
          expect(text).not.toContain(secret);
        }
        expect(error.cause).toBeUndefined();
      }
    });

    it('sends CertName and CertNo in the POST body, never in the URL', async () => {
      const seen: Array<{ method?: string; url?: string; body: string }> = [];
      const capture: Server = createServer((req, res) => {
        let body = '';
        req.on('data', (chunk: Buffer) => (body += chunk.toString()));
        req.on('end', () => {
          seen.push({ method: req.method, url: req.url, body });
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify({ RequestId: 'r', Code: '200', Message: 'success', ResultObject: { CertifyId: 'c', CertifyUrl: 'u' } }));
        });
      });
      await new Promise<void>((resolve) => capture.listen(0, '127.0.0.1', resolve));
      try {
        const { port } = capture.address() as AddressInfo;
        await newProvider({ endpoints: [`http://127.0.0.1:${port}`] }).initFaceVerify(newOrder());
        expect(seen).toHaveLength(1);
        expect(seen[0]).toMatchObject({ method: 'POST', url: '/' });
        const form = new URLSearchParams(seen[0]?.body);
        expect(form.get('CertName')).toBe(NAME);
        expect(form.get('CertNo')).toBe(ORDINARY);
      } finally {
        capture.closeAllConnections();
        await new Promise((resolve) => capture.close(resolve));
      }
    });
  });
});
