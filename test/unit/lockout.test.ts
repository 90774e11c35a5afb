import { describe, expect, it } from 'vitest';
import { failureWindowStart, lockedUntil } from '../../src/domain/auth-status.js';

const policy = { failures: 5, windowSeconds: 86_400 };
const now = new Date('2026-11-01T12:00:00Z');

describe('lockout rule', () => {
  it('counts failures completed since one window before now', () => {
    expect(failureWindowStart(policy, now)).toEqual(new Date('2026-10-31T12:00:00Z'));
  });

  it('locks until the oldest counted failure leaves the window', () => {
    expect(lockedUntil(policy, new Date('2026-11-01T02:00:00Z'), now)).toEqual(new Date('2026-11-02T02:00:00Z'));
  });

  it('does not lock with fewer failures than the policy counts', () => {
    expect(lockedUntil(policy, null, now)).toBeNull();
  });

  it('lets a lock read earlier run out by the clock', () => {
    expect(lockedUntil(policy, new Date('2026-10-31T11:59:59Z'), now)).toBeNull();
  });
});
