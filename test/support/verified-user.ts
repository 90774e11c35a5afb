import { expect } from 'vitest';
import { CONSENT_TERMS } from '../../src/domain/consent-terms.js';
import { gql, START, tokenFor, type TestApp } from './app.js';
import { validIdNumber } from './id-numbers.js';

export const TEST_USER_AGENT = 'WeiAiBang/1.0 (integration test)';

export interface TestApplicant {
  userId: string;
  token: string;
  name: string;
  idCardNumber: string;
  verificationId: string;
  certifyId: string;
}

/** A StartVerificationInput that passes every check: 张三, a fresh synthetic number, today's consent. */
export const startInput = (input: Record<string, unknown> = {}) => ({
  realName: '张三',
  idCardNumber: validIdNumber(),
  consentVersion: CONSENT_TERMS.version,
  biometricConsent: true,
  ...input,
});

/** `startVerification` as a client sends it, with `input` overriding the valid defaults. */
export const startVerification = (app: { url: string }, token: string, input: Record<string, unknown> = {}, headers?: Record<string, string>) =>
  gql(app, START, { input: startInput(input) }, token, headers);

/** A user with an open verification (PENDING, certifyUrl issued). */
export async function startedUser(app: TestApp, userId: string, { name = '张三', idCardNumber = validIdNumber() } = {}): Promise<TestApplicant> {
  const token = await tokenFor(userId);
  const res = await startVerification(app, token, { realName: name, idCardNumber }, { 'user-agent': TEST_USER_AGENT });
  expect(res.errors).toBeUndefined();
  const verification = res.data!.startVerification;
  expect(verification.status).toBe('PENDING');
  return { userId, token, name, idCardNumber, verificationId: verification.id, certifyId: verification.certifyId };
}

/** A user whose verification passed the sandbox's face step: VERIFIED and bound. */
export async function verifiedUser(app: TestApp, userId: string, applicant: { name?: string; idCardNumber?: string } = {}): Promise<TestApplicant> {
  const user = await startedUser(app, userId, applicant);
  expect(await app.sandbox!.complete(user.certifyId, 'pass')).toBe('done');
  return user;
}

/** The 15-digit form of an 18-digit number issued before 1999 (no century, no check digit). */
export const fifteenDigitForm = (idCardNumber: string) => idCardNumber.slice(0, 6) + idCardNumber.slice(8, 17);

export const EXPORT = /* GraphQL */ `
  query {
    exportMyData {
      userId exportedAt
      verifications { id status mode realName idCardNumber failureCode consentId createdAt updatedAt expiresAt completedAt }
      consents { id version biometric acceptedAt clientIp userAgent }
      identity { verificationId verifiedAt expiresAt faceCheckedAt }
      faceImages { verificationId createdAt purgeAfter imageBase64 }
      auditEvents { seq at actor action verificationId detail }
    }
  }
`;
export const DELETE = /* GraphQL */ `
  mutation {
    deleteMyData {
      userId erasedAt dataKeyShredded verificationsCanceled verificationsErased consentsErased identitiesRemoved faceImagesRemoved
      liveCopiesUnreadableAt backupKeyVersions backupsUnreadableFrom notice
    }
  }
`;
export const REDACT = /* GraphQL */ `
  mutation($userId: ID!) { redactUser(userId: $userId) { userId dataKeyShredded verificationsErased identitiesRemoved } }
`;
export const STATUS = /* GraphQL */ `query($u: ID) { userAuthStatus(userId: $u) { status isValid } }`;
