import { graphql } from './gql/gql.js';

// The operator console's operations (scope realname:admin). Kept apart from the user's, so a
// mini-program bundle that imports only createRealnameClient leaves them out.

export const AttemptFields = graphql(`
  fragment AttemptFields on AdminAttempt {
    id
    status
    mode
    documentType
    reviewDocumentType
    failureReason {
      code
      message
    }
    providerSubCode
    maskedName
    maskedIdCardNumber
    createdAt
    completedAt
  }
`);

export const ReviewCaseFields = graphql(`
  fragment ReviewCaseFields on ReviewCase {
    id
    userId
    status
    note
    failure {
      code
      message
    }
    approvedBy
    approvalsRequired
    decidedBy
    decisionReason
    createdAt
    decidedAt
    verification {
      id
      status
      mode
      documentType
      reviewDocumentType
      maskedName
      maskedIdCardNumber
    }
    failedVerification {
      id
    }
  }
`);

export const ReviewCasesQuery = graphql(`
  query ReviewCases($status: ReviewStatus, $first: Int, $after: String) {
    reviewCases(status: $status, first: $first, after: $after) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        cursor
        node {
          ...ReviewCaseFields
          attempts {
            id
            status
            mode
            documentType
            reviewDocumentType
            failureReason {
              code
              message
            }
            maskedIdCardNumber
            createdAt
          }
        }
      }
    }
  }
`);

export const DecideReviewMutation = graphql(`
  mutation DecideReview($caseId: ID!, $decision: ReviewDecision!, $reason: String!) {
    decideReview(caseId: $caseId, decision: $decision, reason: $reason) {
      ...ReviewCaseFields
    }
  }
`);

export const AdminUserQuery = graphql(`
  query AdminUser($userId: ID!, $first: Int, $after: String) {
    adminUser(userId: $userId) {
      userId
      denied
      deniedReason
      lockedUntil
      maskedName
      maskedIdCardNumber
      status {
        status
        isValid
        verifiedAt
        expiresAt
        daysRemaining
      }
      attempts {
        ...AttemptFields
      }
      consents {
        version
        biometric
        purpose
        acceptedAt
      }
      cases {
        ...ReviewCaseFields
      }
      auditTrail(first: $first, after: $after) {
        hasNextPage
        endCursor
        events {
          seq
          at
          actor
          action
          verificationId
          detail
        }
      }
    }
  }
`);

export const RevealIdentityMutation = graphql(`
  mutation RevealIdentity($userId: ID!, $reason: String!) {
    revealIdentity(userId: $userId, reason: $reason) {
      userId
      verificationId
      realName
      idCardNumber
    }
  }
`);

export const FindAccountsQuery = graphql(`
  query FindAccounts($idCardNumber: String!, $reason: String!) {
    findAccountsByIdNumber(idCardNumber: $idCardNumber, reason: $reason)
  }
`);

export const UnlockUserMutation = graphql(`
  mutation UnlockUser($userId: ID!, $reason: String!) {
    unlockUser(userId: $userId, reason: $reason) {
      status
    }
  }
`);

export const ReleaseIdentityMutation = graphql(`
  mutation ReleaseIdentity($userId: ID!, $reason: String!) {
    releaseIdentity(userId: $userId, reason: $reason) {
      status
    }
  }
`);

export const DenylistQuery = graphql(`
  query Denylist {
    denylist {
      kind
      reference
      reason
      createdBy
      createdAt
    }
  }
`);

export const DenyIdNumberMutation = graphql(`
  mutation DenyIdNumber($idCardNumber: String!, $reason: String!) {
    denyIdNumber(idCardNumber: $idCardNumber, reason: $reason) {
      kind
      reference
      changed
      affectedAccounts
    }
  }
`);

export const AllowIdNumberMutation = graphql(`
  mutation AllowIdNumber($idCardNumber: String!, $reason: String!) {
    allowIdNumber(idCardNumber: $idCardNumber, reason: $reason) {
      changed
    }
  }
`);

export const DenyUserMutation = graphql(`
  mutation DenyUser($userId: ID!, $reason: String!) {
    denyUser(userId: $userId, reason: $reason) {
      kind
      reference
      changed
      affectedAccounts
    }
  }
`);

export const AllowUserMutation = graphql(`
  mutation AllowUser($userId: ID!, $reason: String!) {
    allowUser(userId: $userId, reason: $reason) {
      changed
    }
  }
`);

export const VerificationStatsQuery = graphql(`
  query VerificationStats($from: DateTimeISO!, $to: DateTimeISO!, $interval: StatsInterval!) {
    verificationStats(from: $from, to: $to, interval: $interval) {
      interval
      buckets {
        start
        end
        starts
        byStatus {
          key
          count
        }
        byFailureCode {
          key
          count
        }
        medianSeconds
        p90Seconds
        providerErrors
        openReviewCases
        oldestOpenCaseAgeSeconds
      }
    }
  }
`);
