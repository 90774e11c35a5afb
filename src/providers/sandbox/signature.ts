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

/**
 * What makes a signed request usable once, within Aliyun's window (OpenAPI error codes):
 * "InvalidTimeStamp.Expired — 用户请求时间…和服务器接收到请求的时间间隔大于15分钟" and
 * "SignatureNonceUsed — SignatureNonce重复,每次请求的SignatureNonce参数不能重复".
 */
export interface ReplayGuard {
  now(): Date;
  /** True the first time a nonce is seen inside the window. */
  firstUse(nonce: string): boolean;
}

export const REQUEST_WINDOW_MS = 15 * 60_000;

export function createReplayGuard(now: () => Date): ReplayGuard {
  const seen = new Map<string, number>();
  return {
    now,
    firstUse(nonce) {
      const at = now().getTime();
      for (const [old, when] of seen) {
        if (at - when <= 2 * REQUEST_WINDOW_MS) break;
        seen.delete(old);
      }
      if (seen.has(nonce)) return false;
      seen.set(nonce, at);
      return true;
    },
  };
}

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
const TIMESTAMP_FORMAT = {
  ok: false,
  status: 400,
  code: 'InvalidTimeStamp.Format',
  message: 'Specified time stamp or date value is not well formatted.',
} as const;
const TIMESTAMP_EXPIRED = {
  ok: false,
  status: 400,
  code: 'InvalidTimeStamp.Expired',
  message: 'Specified time stamp or date value is expired.',
} as const;
const NONCE_USED = {
  ok: false,
  status: 400,
  code: 'SignatureNonceUsed',
  message: 'Specified signature nonce was used already.',
} as const;
const MISSING_NONCE = {
  ok: false,
  status: 400,
  code: 'MissingSignatureNonce',
  message: 'SignatureNonce is mandatory for this action.',
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

/** Without a guard only the signature is checked (unit tests of the arithmetic). */
export function verifySignature(request: SignedRequest, credentials: Credentials, guard?: ReplayGuard): SignatureVerdict {
  const authorization = request.headers.authorization;
  if (authorization?.startsWith(`${ACS3} `)) {
    const verdict = verifyAcs3(request, authorization, credentials);
    if (!verdict.ok || !guard) return verdict;
    return freshness(headerText(request.headers['x-acs-date']), headerText(request.headers['x-acs-signature-nonce']), guard) ?? verdict;
  }
  if (request.query.some(([k]) => k === 'Signature') || request.form.some(([k]) => k === 'Signature')) {
    const verdict = verifyV1(request, credentials);
    if (!verdict.ok || !guard) return verdict;
    const params = new Map([...request.query, ...request.form]);
    return freshness(params.get('Timestamp') ?? '', params.get('SignatureNonce') ?? '', guard) ?? verdict;
  }
  return INCOMPLETE;
}

/** V1 `Timestamp` and ACS3 `x-acs-date`: ISO 8601 UTC (`yyyy-MM-ddTHH:mm:ssZ`), within 15 minutes. */
function freshness(timestamp: string, nonce: string, guard: ReplayGuard): SignatureVerdict | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(timestamp) || Number.isNaN(Date.parse(timestamp))) return TIMESTAMP_FORMAT;
  if (Math.abs(guard.now().getTime() - Date.parse(timestamp)) > REQUEST_WINDOW_MS) return TIMESTAMP_EXPIRED;
  if (!nonce) return MISSING_NONCE;
  if (!guard.firstUse(nonce)) return NONCE_USED;
  return undefined;
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
  return sameText(signature, expected) ? { ok: true, style: 'V1' } : MISMATCH;
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
  // ACS3: SignedHeaders "must include host and every x-acs-* header" the request carries.
  const carried = Object.keys(request.headers).filter((name) => name.startsWith('x-acs-'));
  const required = ['host', 'x-acs-action', 'x-acs-version', 'x-acs-content-sha256', 'x-acs-date', 'x-acs-signature-nonce', ...carried];
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
