import { describe, expect, it } from 'vitest';
import { parseApplication } from '../../src/domain/application.js';
import { CONSENT_TERMS } from '../../src/domain/consent-terms.js';
import { ErrorCode } from '../../src/domain/errors.js';
import { validIdNumber, validPermitNumber } from '../support/id-numbers.js';

const returnUrls = { publicBaseUrl: 'https://realname.example', returnUrlOrigins: ['https://app.example'], requireMetaInfo: false };
const today = new Date('2026-11-01T00:00:00Z');
const input = (extra: Record<string, unknown> = {}) => ({ realName: ' 张  三 ', idCardNumber: validIdNumber(), consentVersion: CONSENT_TERMS.version, biometricConsent: true, ...extra });
const refusal = (extra: Record<string, unknown>) => {
  try {
    parseApplication(input(extra), returnUrls, today);
  } catch (error) {
    return (error as { code: ErrorCode }).code;
  }
  return undefined;
};

describe(parseApplication.name, () => {
  it('normalises the name and defaults the return page to our own', () => {
    expect(parseApplication(input(), returnUrls, today)).toMatchObject({ realName: '张 三', returnUrl: 'https://realname.example/return', idempotencyKey: null });
  });

  it('refuses old consent, a refused face consent, a foreign returnUrl and a malformed idempotency key', () => {
    expect(refusal({ consentVersion: '2000-01-01' })).toBe(ErrorCode.CONSENT_REQUIRED);
    expect(refusal({ biometricConsent: false })).toBe(ErrorCode.CONSENT_REQUIRED);
    expect(refusal({ biometricConsent: undefined })).toBe(ErrorCode.CONSENT_REQUIRED);
    expect(refusal({ biometricConsent: null })).toBe(ErrorCode.CONSENT_REQUIRED);
    expect(refusal({ biometricConsent: 'true' })).toBe(ErrorCode.CONSENT_REQUIRED);
    expect(refusal({ returnUrl: 'https://evil.example/x' })).toBe(ErrorCode.BAD_USER_INPUT);
    expect(refusal({ idempotencyKey: 'short' })).toBe(ErrorCode.BAD_USER_INPUT);
    expect(refusal({ idCardNumber: '110101199003071234' })).toBe(ErrorCode.INVALID_ID_CARD_NUMBER);
  });

  it('reads the number as a resident ID card unless told otherwise, and keeps the document type', () => {
    expect(parseApplication(input(), returnUrls, today).documentType).toBe('RESIDENT_ID_CARD');
    expect(refusal({ idCardNumber: validPermitNumber('81') })).toBe(ErrorCode.INVALID_ID_CARD_NUMBER);
    const permit = parseApplication(input({ idCardNumber: validPermitNumber('83'), documentType: 'TAIWAN_RESIDENCE_PERMIT' }), returnUrls, today);
    expect(permit.documentType).toBe('TAIWAN_RESIDENCE_PERMIT');
  });

  it('refuses a number under the other document type, and a document type it does not know', () => {
    expect(refusal({ documentType: 'HK_MACAO_RESIDENCE_PERMIT' })).toBe(ErrorCode.INVALID_ID_CARD_NUMBER);
    expect(refusal({ idCardNumber: validPermitNumber('82'), documentType: 'TAIWAN_RESIDENCE_PERMIT' })).toBe(ErrorCode.INVALID_ID_CARD_NUMBER);
    expect(refusal({ documentType: 'PASSPORT' })).toBe(ErrorCode.BAD_USER_INPUT);
  });

  it('drops any userinfo from returnUrl', () => {
    expect(parseApplication(input({ returnUrl: 'https://someone:secret@app.example/done?x=1' }), returnUrls, today).returnUrl).toBe('https://app.example/done?x=1');
  });

  it('accepts a configured return origin', () => {
    expect(parseApplication(input({ returnUrl: 'https://app.example/done' }), returnUrls, today).returnUrl).toBe('https://app.example/done');
  });

  it('refuses a name in Latin letters, which Aliyun refuses', () => {
    expect(refusal({ realName: 'Zhang San' })).toBe(ErrorCode.BAD_USER_INPUT);
    expect(parseApplication(input({ realName: '阿依古丽·买买提' }), returnUrls, today).realName).toBe('阿依古丽·买买提');
  });

  it('requires metaInfo from getMetaInfo() when told to (LIVE H5 starts), and refuses one that is not its JSON', () => {
    const live = { ...returnUrls, requireMetaInfo: true };
    expect(() => parseApplication(input(), live, today)).toThrow(/getMetaInfo/);
    expect(parseApplication(input({ metaInfo: '{"deviceType":"h5"}' }), live, today).metaInfo).toBe('{"deviceType":"h5"}');
    expect(parseApplication(input(), returnUrls, today).metaInfo).toBeUndefined();
    expect(refusal({ metaInfo: 'hardcoded-test-data' })).toBe(ErrorCode.BAD_USER_INPUT);
  });

  it('gives the birth date, for the 14+ rule', () => {
    expect(parseApplication(input({ idCardNumber: '110101202001010036' }), returnUrls, today).birthDate).toBe('2020-01-01');
  });
});
