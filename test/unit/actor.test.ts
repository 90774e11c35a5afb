import { describe, expect, it } from 'vitest';
import { actorLabel, canSee, isUserId, subjectOf, type Actor } from '../../src/domain/actor.js';
import { ErrorCode } from '../../src/domain/errors.js';

const user: Actor = { kind: 'user', userId: 'u-1' };
const service: Actor = { kind: 'service', subject: 'letter-backend' };

describe('actor rules', () => {
  it('labels actors for the audit trail', () => {
    expect(actorLabel(user)).toBe('user:u-1');
    expect(actorLabel(service)).toBe('service:letter-backend');
  });

  it('lets a user see only their own records, a service anyone', () => {
    expect(canSee(user, 'u-1')).toBe(true);
    expect(canSee(user, 'u-2')).toBe(false);
    expect(canSee(service, 'u-2')).toBe(true);
  });

  it('refuses empty, overlong and control-character user ids', () => {
    expect(isUserId('u-1')).toBe(true);
    expect(isUserId('')).toBe(false);
    expect(isUserId('x'.repeat(129))).toBe(false);
    expect(isUserId('a\u0000b')).toBe(false);
  });

  it('makes a service name the subject and keeps a user to themselves', () => {
    expect(subjectOf(service, 'u-2')).toBe('u-2');
    expect(subjectOf(user, null)).toBe('u-1');
    expect(() => subjectOf(service, null)).toThrow(expect.objectContaining({ code: ErrorCode.BAD_USER_INPUT }));
    expect(() => subjectOf(user, 'u-2')).toThrow(expect.objectContaining({ code: ErrorCode.FORBIDDEN }));
  });
});
