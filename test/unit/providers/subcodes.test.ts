import { describe, expect, it } from 'vitest';
import { SUBCODE_REASONS, describeRejection, isRejection, subCodeReason } from '../../../src/providers/aliyun/subcodes.js';

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

describe('SUBCODE_REASONS', () => {
  it('names every documented SubCode', () => {
    expect(Object.keys(SUBCODE_REASONS).sort()).toEqual(['200', '201', '202', '203', '204', '205', '206', '207', '209']);
    expect(SUBCODE_REASONS['204']?.code).toBe('FACE_MISMATCH');
    expect(SUBCODE_REASONS['205']?.code).toBe('LIVENESS_RISK');
  });

  it('falls back for an undocumented SubCode', () => {
    expect(subCodeReason('208').code).toBe('UNKNOWN');
  });
});
