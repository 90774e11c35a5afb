import { graphql } from './gql/gql.js';

export const VerificationFields = graphql(`
  fragment VerificationFields on Verification {
    id
    status
    mode
    purpose
    documentType
    reviewDocumentType
    certifyUrl
    certifyId
    faceCaptureUrl
    maskedName
    maskedIdCardNumber
    failureReason {
      code
      message
    }
    createdAt
    updatedAt
    expiresAt
    completedAt
  }
`);

export const ConsentTermsQuery = graphql(`
  query ConsentTerms {
    consentTerms {
      version
      text
      biometricText
      reviewText
    }
  }
`);

export const SupportedDocumentsQuery = graphql(`
  query SupportedDocuments {
    supportedDocuments {
      type
      name
      description
    }
  }
`);

export const AuthStatusQuery = graphql(`
  query AuthStatus($userId: ID) {
    userAuthStatus(userId: $userId) {
      userId
      status
      isValid
      verifiedAt
      expiresAt
      daysRemaining
      lockedUntil
      renewableFrom
      renewable
      faceCheckedAt
      maskedName
      latestVerification {
        ...VerificationFields
      }
    }
  }
`);

export const VerificationQuery = graphql(`
  query Verification($id: ID!) {
    verification(id: $id) {
      ...VerificationFields
    }
  }
`);

export const StartVerificationMutation = graphql(`
  mutation StartVerification($input: StartVerificationInput!) {
    startVerification(input: $input) {
      ...VerificationFields
    }
  }
`);

export const RenewVerificationMutation = graphql(`
  mutation RenewVerification($input: FaceCheckInput!) {
    renewVerification(input: $input) {
      ...VerificationFields
    }
  }
`);

export const StartStepUpMutation = graphql(`
  mutation StartStepUp($input: FaceCheckInput!) {
    startStepUp(input: $input) {
      ...VerificationFields
    }
  }
`);

export const StartFaceCaptureMutation = graphql(`
  mutation StartFaceCapture($input: StartVerificationInput!) {
    startFaceCapture(input: $input) {
      ...VerificationFields
    }
  }
`);

export const CancelVerificationMutation = graphql(`
  mutation CancelVerification($id: ID!) {
    cancelVerification(id: $id) {
      ...VerificationFields
    }
  }
`);

export const RequestDocumentReviewMutation = graphql(`
  mutation RequestDocumentReview($input: DocumentReviewInput!) {
    requestDocumentReview(input: $input) {
      id
      status
      createdAt
      verification {
        ...VerificationFields
      }
    }
  }
`);

export const VerifyIdentityMutation = graphql(`
  mutation VerifyIdentity($userId: ID, $maxFaceCheckAgeDays: Int) {
    verifyIdentity(userId: $userId, maxFaceCheckAgeDays: $maxFaceCheckAgeDays) {
      passed
      reason
      expiresAt
    }
  }
`);

export const VerificationResultSubscription = graphql(`
  subscription VerificationResult($id: ID!) {
    verificationResult(id: $id) {
      ...VerificationFields
    }
  }
`);
