import { createHmac } from 'node:crypto';

export const SIGNATURE_HEADER = 'Realname-Signature';

/**
 * Stripe's scheme: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`. The time is inside
 * what is signed, so a captured delivery cannot be replayed later with a fresh `t`; receivers refuse
 * a `t` outside their tolerance. Receivers verify with `verifyWebhookSignature` of the client package.
 */
export function signWebhook(secret: string, body: string, at: Date): string {
  const t = Math.floor(at.getTime() / 1000);
  const v1 = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
  return `t=${t},v1=${v1}`;
}
