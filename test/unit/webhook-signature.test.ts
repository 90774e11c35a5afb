import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifyWebhookSignature } from '@weiaibang/realname-client';
import { signWebhook } from '../../src/crypto/webhook-signature.js';

const SECRET = 'whsec-test-secret-of-at-least-32-characters';
const BODY = JSON.stringify({ id: '6c1f5f3e-8d0a-4e47-9a43-5c6a1d1b2e01', type: 'identity.verified', occurredAt: '2026-12-02T06:00:00.000Z', userId: 'u-1', data: {} });
const SENT_AT = new Date('2026-12-02T06:00:00.000Z');
const T = SENT_AT.getTime() / 1000;

describe(signWebhook.name, () => {
  it('is t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">', () => {
    const expected = createHmac('sha256', SECRET).update(`${T}.${BODY}`).digest('hex');
    expect(signWebhook(SECRET, BODY, SENT_AT)).toBe(`t=${T},v1=${expected}`);
  });
});

describe(verifyWebhookSignature.name, () => {
  const header = signWebhook(SECRET, BODY, SENT_AT);
  const at = (secondsLater: number) => ({ now: new Date(SENT_AT.getTime() + secondsLater * 1000) });

  it('accepts what the service signed, from a string or the raw bytes', async () => {
    expect(await verifyWebhookSignature(header, BODY, SECRET, at(10))).toEqual({ ok: true, timestamp: T });
    expect(await verifyWebhookSignature(header, new TextEncoder().encode(BODY), SECRET, at(10))).toEqual({ ok: true, timestamp: T });
  });

  it('refuses a tampered body', async () => {
    const tampered = BODY.replace('u-1', 'u-2');
    expect(await verifyWebhookSignature(header, tampered, SECRET, at(10))).toEqual({ ok: false, reason: 'NO_MATCHING_SIGNATURE' });
  });

  it('refuses another secret', async () => {
    expect(await verifyWebhookSignature(header, BODY, 'another-secret-of-at-least-32-characters', at(10))).toEqual({ ok: false, reason: 'NO_MATCHING_SIGNATURE' });
  });

  it('refuses a timestamp outside the tolerance, either way, and accepts one at its edge', async () => {
    expect(await verifyWebhookSignature(header, BODY, SECRET, at(301))).toEqual({ ok: false, reason: 'TIMESTAMP_OUT_OF_TOLERANCE' });
    expect(await verifyWebhookSignature(header, BODY, SECRET, at(-301))).toEqual({ ok: false, reason: 'TIMESTAMP_OUT_OF_TOLERANCE' });
    expect((await verifyWebhookSignature(header, BODY, SECRET, at(300))).ok).toBe(true);
    expect(await verifyWebhookSignature(header, BODY, SECRET, { ...at(100), toleranceSeconds: 60 })).toEqual({ ok: false, reason: 'TIMESTAMP_OUT_OF_TOLERANCE' });
  });

  it('refuses a fresh t spliced onto an old signature: the time is signed too', async () => {
    const v1 = header.split('v1=')[1];
    const replayed = `t=${T + 3600},v1=${v1}`;
    expect(await verifyWebhookSignature(replayed, BODY, SECRET, at(3600))).toEqual({ ok: false, reason: 'NO_MATCHING_SIGNATURE' });
  });

  it('accepts when any of several v1 values matches (a secret being rotated), and skips other schemes', async () => {
    const old = signWebhook('the-old-secret-of-at-least-32-characters', BODY, SENT_AT).split('v1=')[1];
    const current = header.split('v1=')[1];
    expect((await verifyWebhookSignature(`t=${T},v1=${old},v1=${current}`, BODY, SECRET, at(1))).ok).toBe(true);
    expect((await verifyWebhookSignature(`t=${T}, v0=abc, v1=${current.toUpperCase()}`, BODY, SECRET, at(1))).ok).toBe(true);
    expect(await verifyWebhookSignature(`t=${T},v1=${old},v1=${'0'.repeat(64)}`, BODY, SECRET, at(1))).toEqual({ ok: false, reason: 'NO_MATCHING_SIGNATURE' });
  });

  it.each([undefined, null, '', 'v1=abc', `t=${T}`, `t=soon,v1=${'a'.repeat(64)}`, `t=${T},v1=not-hex`])('refuses a malformed header (%s)', async (bad) => {
    expect(await verifyWebhookSignature(bad, BODY, SECRET, at(1))).toEqual({ ok: false, reason: 'MALFORMED_HEADER' });
  });
});
