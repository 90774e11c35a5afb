import { describe, expect, it } from 'vitest';
import { describeRejection, isRejection } from '../../../src/providers/aliyun/subcodes.js';

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
