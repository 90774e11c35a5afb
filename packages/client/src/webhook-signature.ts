/** The parts of Web Crypto this uses: Node ≥ 20, browsers, Deno, Workers all have them as `globalThis.crypto`. */
interface HmacSubtle {
  importKey(format: 'raw', key: Uint8Array, algorithm: { name: 'HMAC'; hash: 'SHA-256' }, extractable: false, usages: ['sign']): Promise<unknown>;
  sign(algorithm: 'HMAC', key: unknown, data: Uint8Array): Promise<ArrayBuffer>;
}
type Utf8Encoder = new () => { encode(text: string): Uint8Array };

export interface VerifyWebhookOptions {
  /** How far `t` may be from now, either way (default 300 s): an old delivery replayed later is refused. */
  toleranceSeconds?: number;
  /** The receiver's clock (default the system's), for tests. */
  now?: Date | number;
}

export type WebhookVerification =
  | { ok: true; timestamp: number }
  | { ok: false; reason: 'MALFORMED_HEADER' | 'TIMESTAMP_OUT_OF_TOLERANCE' | 'NO_MATCHING_SIGNATURE' };

/**
 * Checks a `Realname-Signature` header against the raw request body — the exact bytes received,
 * before any JSON parsing — and the shared WEBHOOK_SECRET. Any of several `v1` values may match
 * (the service may sign with two secrets while one is rotated); comparison is constant-time.
 *
 * ```ts
 * const check = await verifyWebhookSignature(req.headers['realname-signature'], rawBody, process.env.REALNAME_WEBHOOK_SECRET!);
 * if (!check.ok) return res.writeHead(400).end();
 * const event = JSON.parse(rawBody); // { id, type, occurredAt, userId, data }: dedupe on `id`
 * ```
 */
export async function verifyWebhookSignature(
  header: string | null | undefined,
  rawBody: string | Uint8Array,
  secret: string,
  options: VerifyWebhookOptions = {},
): Promise<WebhookVerification> {
  const parsed = parseSignatureHeader(header);
  if (!parsed) return { ok: false, reason: 'MALFORMED_HEADER' };
  const nowMs = options.now === undefined ? Date.now() : typeof options.now === 'number' ? options.now : options.now.getTime();
  const tolerance = options.toleranceSeconds ?? 300;
  if (Math.abs(nowMs / 1000 - parsed.timestamp) > tolerance) return { ok: false, reason: 'TIMESTAMP_OUT_OF_TOLERANCE' };

  const { subtle, Encoder } = webCrypto();
  const encoder = new Encoder();
  const body = typeof rawBody === 'string' ? encoder.encode(rawBody) : rawBody;
  const prefix = encoder.encode(`${parsed.timestamp}.`);
  const signed = new Uint8Array(prefix.length + body.length);
  signed.set(prefix);
  signed.set(body, prefix.length);
  const key = await subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const expected = toHex(new Uint8Array(await subtle.sign('HMAC', key, signed)));
  // Every candidate is compared in full, so timing says nothing about which (or how much) matched.
  let matched = false;
  for (const candidate of parsed.signatures) matched = constantTimeEqual(candidate, expected) || matched;
  return matched ? { ok: true, timestamp: parsed.timestamp } : { ok: false, reason: 'NO_MATCHING_SIGNATURE' };
}

function parseSignatureHeader(header: string | null | undefined): { timestamp: number; signatures: string[] } | undefined {
  if (!header) return undefined;
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const at = part.indexOf('=');
    if (at < 0) continue;
    const name = part.slice(0, at).trim();
    const value = part.slice(at + 1).trim();
    if (name === 't' && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    // Other schemes (a future v2) are skipped, as Stripe's receivers do.
    else if (name === 'v1' && /^[0-9a-f]{64}$/i.test(value)) signatures.push(value.toLowerCase());
  }
  return timestamp === undefined || signatures.length === 0 ? undefined : { timestamp, signatures };
}

function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}

const toHex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

function webCrypto(): { subtle: HmacSubtle; Encoder: Utf8Encoder } {
  const scope = globalThis as { crypto?: { subtle?: HmacSubtle }; TextEncoder?: Utf8Encoder };
  if (!scope.crypto?.subtle || !scope.TextEncoder) throw new Error('verifyWebhookSignature needs Web Crypto (crypto.subtle) and TextEncoder');
  return { subtle: scope.crypto.subtle, Encoder: scope.TextEncoder };
}
