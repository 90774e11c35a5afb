import { expect } from 'vitest';
import { gql, tokenFor, type TestApp } from './app.js';
import { startVerification } from './verified-user.js';

export const operatorToken = (operatorId = 'op-alice') => tokenFor(operatorId, { scope: 'realname:admin' });

/** Sandbox: Id2MetaVerify finds no such identity, so the attempt ends FAILED at once — reviewable. */
export const NO_SUCH_IDENTITY_NUMBER = '110101199001010023';
/** Sandbox: the face check fails (SubCode 204) even when "pass" is pressed — not reviewable. */
export const FACE_MISMATCH_NUMBER = '110101199001010058';

/** A user whose attempt failed in a way only a manual review can fix. */
export async function unfindableUser(app: TestApp, userId: string, name = '李四') {
  const token = await tokenFor(userId);
  const res = await startVerification(app, token, { realName: name, idCardNumber: NO_SUCH_IDENTITY_NUMBER });
  expect(res.errors).toBeUndefined();
  expect(res.data!.startVerification).toMatchObject({ status: 'FAILED', failureReason: { code: 'IDENTITY_NOT_CONFIRMED' } });
  return { userId, token, verificationId: res.data!.startVerification.id as string };
}

export const REQUEST_REVIEW = /* GraphQL */ `
  mutation($id: ID!, $note: String) {
    requestManualReview(verificationId: $id, note: $note) {
      id status userId note failure { code } approvedBy approvalsRequired createdAt
      verification { id status mode }
    }
  }
`;

export const DECIDE = /* GraphQL */ `
  mutation($caseId: ID!, $decision: ReviewDecision!, $reason: String!) {
    decideReview(caseId: $caseId, decision: $decision, reason: $reason) {
      id status approvedBy decidedBy decisionReason decidedAt verification { id status mode }
    }
  }
`;

export const REVIEW_CASES = /* GraphQL */ `
  query($status: ReviewStatus, $first: Int, $after: String) {
    reviewCases(status: $status, first: $first, after: $after) {
      totalCount pageInfo { hasNextPage endCursor }
      edges { cursor node { id userId status note createdAt failure { code } attempts { id status maskedIdCardNumber certifyUrl } verification { id maskedName maskedIdCardNumber } } }
    }
  }
`;

export const ADMIN_USER = /* GraphQL */ `
  query($userId: ID!, $first: Int, $after: String) {
    adminUser(userId: $userId) {
      userId denied deniedReason lockedUntil maskedName maskedIdCardNumber
      status { status isValid }
      attempts { id status mode failureReason { code } providerSubCode maskedName maskedIdCardNumber createdAt completedAt }
      consents { version biometric acceptedAt }
      cases { id status }
      auditTrail(first: $first, after: $after) { hasNextPage endCursor events { seq at actor action verificationId detail } }
    }
  }
`;

export const EXPORT_AUDIT = /* GraphQL */ `query { exportMyData { auditEvents { actor action detail } } }`;

/** The operator actions (with their reasons) in the user's own export; the moves they caused are left out. */
export async function operatorEventsOf(app: TestApp, userId: string) {
  const res = await gql(app, EXPORT_AUDIT, {}, await tokenFor(userId));
  expect(res.errors).toBeUndefined();
  return (res.data!.exportMyData.auditEvents as { actor: string; action: string; detail: { reason?: string } }[])
    .filter((e) => e.actor.startsWith('operator:') && e.action.startsWith('operator.'))
    .map((e) => ({ actor: e.actor, action: e.action, reason: e.detail.reason }));
}
