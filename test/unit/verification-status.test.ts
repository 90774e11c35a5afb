import { describe, expect, it } from 'vitest';
import { canMove, failureReason, isTerminal, SUBCODE_FAILURES, VERIFICATION_STATUSES } from '../../src/domain/verification-status.js';

describe('verification status machine', () => {
  it('never moves out of a terminal state', () => {
    for (const from of VERIFICATION_STATUSES.filter(isTerminal)) {
      for (const to of VERIFICATION_STATUSES) expect(canMove(from, to)).toBe(false);
    }
  });

  it('never goes back from PROCESSING to PENDING', () => {
    expect(canMove('PROCESSING', 'PENDING')).toBe(false);
    expect(canMove('PENDING', 'PROCESSING')).toBe(true);
  });

  it('maps every documented failing SubCode (201–207, 209) to a reason with a Chinese message', () => {
    expect(Object.keys(SUBCODE_FAILURES).sort()).toEqual(['201', '202', '203', '204', '205', '206', '207', '209']);
    for (const code of Object.values(SUBCODE_FAILURES)) expect(failureReason(code)!.message).toMatch(/\p{Script=Han}/u);
  });

  it('falls back to a generic reason for an unknown code', () => {
    expect(failureReason('SOMETHING_NEW')).toEqual({ code: 'SOMETHING_NEW', message: '认证未通过' });
    expect(failureReason(null)).toBeNull();
  });
});
