import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createReplayGuard, percentEncode, verifySignature, type SignedRequest } from '../../../src/providers/sandbox/signature.js';

const credentials = { accessKeyId: 'test-ak', accessKeySecret: 'test-secret' };

// V1 as pop-core computes it, for a form-encoded POST.
function signedV1Form(params: Record<string, string>, secret = credentials.accessKeySecret): SignedRequest {
  const all: Record<string, string> = {
    Action: 'Id2MetaVerify',
    Format: 'JSON',
    Version: '2019-03-07',
    SignatureMethod: 'HMAC-SHA1',
    SignatureVersion: '1.0',
    SignatureNonce: 'nonce-1',
    Timestamp: '2026-01-01T00:00:00Z',
    AccessKeyId: credentials.accessKeyId,
    ...params,
  };
  const canonical = Object.keys(all)
    .sort()
    .map((k) => `${percentEncode(k)}=${percentEncode(all[k] ?? '')}`)
    .join('&');
  const signature = createHmac('sha1', `${secret}&`)
    .update(`POST&%2F&${percentEncode(canonical)}`)
    .digest('base64');
  return {
    method: 'POST',
    pathname: '/',
    query: [],
    form: [...Object.entries(all), ['Signature', signature]],
    body: Buffer.alloc(0),
    headers: {},
  };
}

describe('verifySignature', () => {
  it('accepts a V1 signature over parameters with spaces, CJK and reserved characters', () => {
    const request = signedV1Form({ UserName: "张 三!*'()", IdentifyNum: '110101199003071233' });
    expect(verifySignature(request, credentials)).toEqual({ ok: true, style: 'V1' });
  });

  it('refuses a V1 signature made with another secret', () => {
    const request = signedV1Form({ UserName: '张三' }, 'other-secret');
    expect(verifySignature(request, credentials)).toMatchObject({ ok: false, status: 400, code: 'SignatureDoesNotMatch' });
  });

  it('refuses a V1 request whose parameters changed after signing', () => {
    const request = signedV1Form({ UserName: '张三' });
    request.form = request.form.map(([k, v]) => (k === 'UserName' ? [k, '李四'] : [k, v]));
    expect(verifySignature(request, credentials)).toMatchObject({ ok: false, code: 'SignatureDoesNotMatch' });
  });

  it('answers an unknown access key id with 404 InvalidAccessKeyId.NotFound', () => {
    const request = signedV1Form({ AccessKeyId: 'someone-else' });
    expect(verifySignature(request, credentials)).toMatchObject({
      ok: false,
      status: 404,
      code: 'InvalidAccessKeyId.NotFound',
    });
  });

  it('refuses an unsigned request', () => {
    const request: SignedRequest = { method: 'GET', pathname: '/', query: [['Action', 'Id2MetaVerify']], form: [], body: Buffer.alloc(0), headers: {} };
    expect(verifySignature(request, credentials)).toMatchObject({ ok: false, code: 'IncompleteSignature' });
  });

  describe('with a replay guard (Timestamp within 15 minutes, SignatureNonce single-use)', () => {
    const signedAt = new Date('2026-01-01T00:00:00Z');
    const at = (minutes: number) => createReplayGuard(() => new Date(signedAt.getTime() + minutes * 60_000));

    it('accepts a fresh request once and refuses its replay with SignatureNonceUsed', () => {
      const guard = at(1);
      expect(verifySignature(signedV1Form({ UserName: '张三' }), credentials, guard)).toEqual({ ok: true, style: 'V1' });
      expect(verifySignature(signedV1Form({ UserName: '张三' }), credentials, guard)).toMatchObject({ ok: false, status: 400, code: 'SignatureNonceUsed' });
    });

    it.each([16, -16])('refuses a Timestamp %i minutes away with InvalidTimeStamp.Expired', (minutes) => {
      expect(verifySignature(signedV1Form({}), credentials, at(minutes))).toMatchObject({ ok: false, status: 400, code: 'InvalidTimeStamp.Expired' });
    });

    it('refuses a Timestamp that is not ISO 8601 UTC', () => {
      expect(verifySignature(signedV1Form({ Timestamp: '2026/01/01 00:00:00' }), credentials, at(0))).toMatchObject({ code: 'InvalidTimeStamp.Format' });
    });
  });
});
