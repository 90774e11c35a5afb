import fc from 'fast-check';
import { CONSENT_VERSION } from '../../support/app.js';
import { validIdNumber } from '../../support/id-numbers.js';

const controlChars = fc.string({ unit: fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c)), maxLength: 20 });

/** Strings a client should never send: empty, huge, any code point (lone surrogates too), control characters, NUL. */
export const hostileString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  controlChars,
  fc.string({ minLength: 1, maxLength: 8 }).map((s) => s.repeat(1 + Math.floor(20_000 / (s.length + 1)))),
  fc.constantFrom('', ' ', '\u0000', 'a\u0000b', '\u202e张三', '\ud800', '😀'.repeat(300), '%00', '../../etc/passwd', "' or 1=1 --", '<script>', '${jndi:x}', '0'.repeat(18)),
);

/** Plausible values, so that some inputs get past the first check and reach deeper ones. */
export const plausibleString = fc.oneof(
  fc.constantFrom('张三', CONSENT_VERSION, 'retry-key-0001', 'http://localhost/return', '00000000-0000-4000-8000-000000000000'),
  fc.constant(null).map(() => validIdNumber()),
  fc.uuid(),
);

/** Any JSON a variable could carry, biased towards strings. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: hostileString },
  { weight: 2, arbitrary: plausibleString },
  { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null)) },
  { weight: 1, arbitrary: fc.array(hostileString, { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 8 }), hostileString, { maxKeys: 3 }) },
);

export const startInput = fc.oneof(
  fc.record(
    {
      realName: hostileValue,
      idCardNumber: hostileValue,
      consentVersion: hostileValue,
      biometricConsent: hostileValue,
      returnUrl: hostileValue,
      idempotencyKey: hostileValue,
      metaInfo: hostileValue,
    },
    { requiredKeys: [] },
  ),
  hostileValue,
);

/**
 * A JS value as a GraphQL literal, including ones GraphQL has no syntax for (NaN, odd keys):
 * those must come back as parse errors, not crashes.
 */
export function literal(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map(literal).join(', ')}]`;
  return `{${Object.entries(value as Record<string, unknown>).map(([k, v]) => `${k}: ${literal(v)}`).join(', ')}}`;
}
