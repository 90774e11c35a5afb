import { describe, expect, it } from 'vitest';
import { lifecycleDedupeKey, retryDelayMs } from '../../src/domain/webhook-events.js';

describe(retryDelayMs.name, () => {
  it('doubles from 30 s, drawn from the upper half of each step', () => {
    expect([1, 2, 3].map((attempt) => retryDelayMs(attempt, () => 0))).toEqual([15_000, 30_000, 60_000]);
    expect([1, 2, 3].map((attempt) => retryDelayMs(attempt, () => 1))).toEqual([30_000, 60_000, 120_000]);
  });

  it('stops growing at an hour, however many attempts', () => {
    expect(retryDelayMs(8, () => 1)).toBe(3_600_000);
    expect(retryDelayMs(500, () => 1)).toBe(3_600_000);
    expect(retryDelayMs(500, () => 0)).toBe(1_800_000);
  });
});

describe(lifecycleDedupeKey.name, () => {
  it('names the event, the user and the validity period by its expiry', () => {
    const expiresAt = new Date('2027-12-02T06:00:00.123Z');
    expect(lifecycleDedupeKey('identity.renewable', 'u-1', expiresAt)).toBe(`identity.renewable:u-1:${expiresAt.getTime()}`);
    expect(lifecycleDedupeKey('identity.renewable', 'u-1', expiresAt)).not.toBe(lifecycleDedupeKey('identity.expired', 'u-1', expiresAt));
  });
});
