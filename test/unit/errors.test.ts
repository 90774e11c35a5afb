import { describe, expect, it } from 'vitest';
import { DomainError, ErrorCode } from '../../src/domain/errors.js';

describe(DomainError.name, () => {
  it.each(Object.values(ErrorCode))('gives %s a Chinese message of its own by default', (code) => {
    const error = new DomainError(code);
    expect(error.message).toMatch(/\p{Script=Han}{2,}/u);
    const others = Object.values(ErrorCode).filter((c) => c !== code).map((c) => new DomainError(c).message);
    expect(others).not.toContain(error.message);
  });

  it('is named DomainError and keeps its code, message and details', () => {
    const error = new DomainError(ErrorCode.RATE_LIMITED, '稍后再试', { retryAfter: 5 });
    expect(error).toMatchObject({ name: 'DomainError', code: 'RATE_LIMITED', message: '稍后再试', details: { retryAfter: 5 } });
    expect(new DomainError(ErrorCode.NOT_FOUND).details).toEqual({});
  });
});
