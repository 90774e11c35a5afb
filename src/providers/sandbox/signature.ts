import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/**
 * Both ways Aliyun clients sign RPC calls, checked the way the clients compute them:
 * - V1 (pop-core, lib/rpc.js): HMAC-SHA1 with `secret&` over
 *   `METHOD&%2F&enc(sorted "enc(k)=enc(v)" of every parameter but Signature)`, base64.
 * - ACS3-HMAC-SHA256 (@alicloud/openapi-core utils.getAuthorization, used by
 *   @alicloud/cloudauth20190307): hex HMAC-SHA256 over `ACS3-HMAC-SHA256\n` + hex sha256 of the
 *   canonical request; Action and Version travel in `x-acs-action`/`x-acs-version` headers.
 */
export interface SignedRequest {
  method: string;
  pathname: string;
  /** Decoded, in arrival order. */
  query: Array<[string, string]>;
  form: Array<[string, string]>;
  body: Buffer;
  headers: IncomingHttpHeaders;
}

export interface Credentials {
  accessKeyId: string;
  accessKeySecret: string;
}

export type SignatureVerdict =
  | { ok: true; style: 'V1' | 'ACS3' }
  | { ok: false; status: number; code: string; message: string };

const ACS3 = 'ACS3-HMAC-SHA256';
const INCOMPLETE = {
  ok: false,
  status: 400,
  code: 'IncompleteSignature',
  message: 'The request signature does not conform to Aliyun standards.',
} as const;
const MISMATCH = {
  ok: false,
  status: 400,
  code: 'SignatureDoesNotMatch',
  message: 'Specified signature is not matched with our calculation.',
} as const;
const UNKNOWN_KEY = {
  ok: false,
  status: 404,
  code: 'InvalidAccessKeyId.NotFound',
  message: 'Specified access key is not found.',
} as const;

/** RFC 3986 encoding as both SDKs do it (encodeURIComponent leaves !'()* alone). */
export function percentEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export function verifySignature(request: SignedRequest, credentials: Credentials): SignatureVerdict {
  const authorization = request.headers.authorization;
  if (authorization?.startsWith(`${ACS3} `)) return verifyAcs3(request, authorization, credentials);
  if (request.query.some(([k]) => k === 'Signature') || request.form.some(([k]) => k === 'Signature')) {
    return verifyV1(request, credentials);
  }
  return INCOMPLETE;
}

function verifyV1(request: SignedRequest, credentials: Credentials): SignatureVerdict {
  const params = new Map([...request.query, ...request.form]);
  if (params.get('AccessKeyId') !== credentials.accessKeyId) return UNKNOWN_KEY;
  if (params.get('SignatureMethod') !== 'HMAC-SHA1' || params.get('SignatureVersion') !== '1.0') return INCOMPLETE;
  const signature = params.get('Signature') ?? '';
  params.delete('Signature');
  const canonical = [...params.keys()]
    .sort()
    .map((key) => `${percentEncode(key)}=${percentEncode(params.get(key) ?? '')}`)
    .join('&');
  const stringToSign = `${request.method}&${percentEncode('/')}&${percentEncode(canonical)}`;
  const expected = createHmac('sha1', `${credentials.accessKeySecret}&`).update(stringToSign).digest('base64');
  return sameText(signature, expected) ? { ok: true, style: 'V1' } : INCOMPLETE;
}

function verifyAcs3(request: SignedRequest, authorization: string, credentials: Credentials): SignatureVerdict {
  const fields = new Map(
    authorization
      .slice(ACS3.length + 1)
      .split(',')
      .map((part) => {
        const at = part.indexOf('=');
        return [part.slice(0, at).trim(), part.slice(at + 1).trim()] as const;
      }),
  );
  const credential = fields.get('Credential');
  const signedHeaders = fields.get('SignedHeaders')?.split(';') ?? [];
  const signature = fields.get('Signature');
  if (!credential || !signature) return INCOMPLETE;
  if (credential !== credentials.accessKeyId) return UNKNOWN_KEY;
  const required = ['host', 'x-acs-action', 'x-acs-version', 'x-acs-content-sha256'];
  if (!required.every((name) => signedHeaders.includes(name))) return INCOMPLETE;

  const payloadHash = createHash('sha256').update(request.body).digest('hex');
  if (request.headers['x-acs-content-sha256'] !== payloadHash) return MISMATCH;

  const canonicalQuery = [...request.query]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => `${key}=${percentEncode(value)}`)
    .join('&');
  const canonicalHeaders = signedHeaders.map((name) => `${name}:${headerText(request.headers[name])}\n`).join('');
  const canonicalRequest = [
    request.method,
    request.pathname,
    canonicalQuery,
    canonicalHeaders,
    signedHeaders.join(';'),
    payloadHash,
  ].join('\n');
  const stringToSign = `${ACS3}\n${createHash('sha256').update(canonicalRequest).digest('hex')}`;
  const expected = createHmac('sha256', credentials.accessKeySecret).update(stringToSign).digest('hex');
  return sameText(signature, expected) ? { ok: true, style: 'ACS3' } : MISMATCH;
}

function headerText(value: string | string[] | undefined): string {
  return (Array.isArray(value) ? value.join(',') : (value ?? '')).trim();
}

function sameText(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
