import { describe, expect, it } from 'vitest';
import { failureReason } from '../../../src/domain/verification-status.js';
import { configurationProblemOf, failureOfSubCode, finalFailureOf, SUBCODE_FAILURES } from '../../../src/providers/aliyun/subcodes.js';

describe('finalFailureOf', () => {
  it.each([
    ['InitFaceVerify', '417', 'NO_ID_PHOTO'],
    ['InitFaceVerify', '418', 'TOO_MANY_ATTEMPTS'],
    ['DescribeFaceVerify', '406', 'PROVIDER_REJECTED'],
    ['DescribeFaceVerify', '427', 'POLICY'],
    ['Id2MetaVerify', '403', 'TOO_MANY_ATTEMPTS'],
    ['ContrastFaceVerify', '417', 'NO_ID_PHOTO'],
  ] as const)('%s Code %s is a final answer: %s', (action, code, failure) => {
    expect(finalFailureOf(action, code)).toBe(failure);
  });

  it('knows no InitFaceVerify 405 (Aliyun has no age code) and no final 424 (pending)', () => {
    expect(finalFailureOf('InitFaceVerify', '405')).toBeUndefined();
    expect(finalFailureOf('DescribeFaceVerify', '424')).toBeUndefined();
  });
});

describe('configurationProblemOf', () => {
  it('treats 400, 401 and 404 as our configuration, not the user', () => {
    for (const code of ['400', '401', '404']) expect(configurationProblemOf(code)).toBeTruthy();
    for (const code of ['200', '417', '500', 'SignatureDoesNotMatch']) expect(configurationProblemOf(code)).toBeUndefined();
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
