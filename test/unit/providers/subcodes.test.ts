import { describe, expect, it } from 'vitest';
import { failureReason } from '../../../src/domain/verification-status.js';
import { describeRejection, failureOfRejection, failureOfSubCode, isRejection, SUBCODE_FAILURES } from '../../../src/providers/aliyun/subcodes.js';

describe('describeRejection', () => {
  it.each([
    ['401', '姓名与身份证号不匹配'],
    ['405', '未满14周岁'],
    ['418', '今日认证次数过多'],
  ])('explains Code %s in Chinese', (code, text) => {
    expect(describeRejection(code)).toContain(text);
  });

  it('does not treat outages or pending codes as rejections', () => {
    for (const code of ['200', '403', '424', '500', 'SignatureDoesNotMatch']) expect(isRejection(code)).toBe(false);
  });
});

describe('failureOfRejection', () => {
  it('gives our own failure code for a refusal, never the provider code', () => {
    expect(failureOfRejection('418')).toBe('TOO_MANY_ATTEMPTS');
    expect(failureOfRejection('999')).toBe('PROVIDER_REJECTED');
  });
});

describe('failureOfSubCode', () => {
  it('maps every documented failing SubCode (201–207, 209) to a reason with a Chinese message', () => {
    expect(Object.keys(SUBCODE_FAILURES).sort()).toEqual(['201', '202', '203', '204', '205', '206', '207', '209']);
    for (const code of Object.keys(SUBCODE_FAILURES)) expect(failureReason(failureOfSubCode(code))!.message).toMatch(/\p{Script=Han}/u);
  });

  it('falls back to UNKNOWN for a SubCode Aliyun adds later', () => {
    expect(failureOfSubCode('299')).toBe('UNKNOWN');
  });
});
