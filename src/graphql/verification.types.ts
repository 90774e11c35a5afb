import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { consentPurposes } from '../db/schema.js';
import { DOCUMENT_TYPES, REVIEW_DOCUMENT_TYPES } from '../domain/documents.js';
import { AUTH_STATUSES, FAILURE_REASONS, VERIFICATION_PURPOSES, VERIFICATION_STATUSES, type FailureCode } from '../domain/verification-status.js';

const enumOf = <T extends string>(values: readonly T[]) => Object.fromEntries(values.map((v) => [v, v])) as { [K in T]: K };

export const VerificationStatus = enumOf(VERIFICATION_STATUSES);
registerEnumType(VerificationStatus, { name: 'VerificationStatus', description: 'Where one verification attempt stands' });
export const AuthStatus = enumOf(AUTH_STATUSES);
registerEnumType(AuthStatus, { name: 'AuthStatus', description: "Where a user's real-name status stands" });
export const VerificationMode = enumOf(['LIVE', 'SANDBOX', 'MANUAL'] as const);
registerEnumType(VerificationMode, { name: 'VerificationMode', description: 'LIVE: Aliyun; SANDBOX: the built-in emulator; MANUAL: decided by an operator in a manual review' });
export const VerificationPurpose = enumOf(VERIFICATION_PURPOSES);
registerEnumType(VerificationPurpose, {
  name: 'VerificationPurpose',
  description: 'VERIFY: a start with a typed name and number; RENEWAL: a new lifetime for the held identity; STEP_UP: a fresh face check only',
});
export const FailureCodeEnum = enumOf(Object.keys(FAILURE_REASONS) as FailureCode[]);
registerEnumType(FailureCodeEnum, { name: 'FailureCode', description: 'Why a verification did not end VERIFIED' });
export const DocumentType = enumOf(DOCUMENT_TYPES);
registerEnumType(DocumentType, {
  name: 'DocumentType',
  description:
    'An identity document Aliyun verifies: the resident ID card and the residence permits for Hong Kong/Macao (81/82) and Taiwan (83) residents. Travel permits (往来内地通行证, 台胞证) and the foreigner\'s permanent residence card cannot be verified here: their holders use requestDocumentReview (ReviewDocumentType)',
});
export const ReviewDocumentType = enumOf(REVIEW_DOCUMENT_TYPES);
registerEnumType(ReviewDocumentType, {
  name: 'ReviewDocumentType',
  description:
    'A document Aliyun cannot verify, taken by requestDocumentReview for an operator to decide: HK_MACAO_TRAVEL_PERMIT (港澳居民来往内地通行证, H/M and 8 digits; a card\'s 2 renewal digits are dropped), TAIWAN_TRAVEL_PERMIT (台湾居民来往大陆通行证, 8 digits; an old booklet\'s 10-digit number is reduced to them), FOREIGN_PERMANENT_RESIDENCE_CARD (外国人永久居留身份证: 3 letters and 12 digits, or the 2023 form of 18 characters from 9 with the GB 11643 check character)',
});

export const ConsentPurpose = enumOf(consentPurposes);
registerEnumType(ConsentPurpose, { name: 'ConsentPurpose', description: 'VERIFICATION: a start, with the biometric consent; DOCUMENT_REVIEW: operators may see the name and number' });

@ObjectType('FailureReason', { description: 'Why a verification did not pass; the message is for the user' })
export class FailureReason {
  @Field(() => FailureCodeEnum) code!: string;
  @Field(() => String) message!: string;
}

// Fields are filled by resolvers from the stored row; PII only ever leaves masked.
@ObjectType('Verification', { description: 'One attempt at real-name verification' })
export class Verification {
  @Field(() => ID) id!: string;
  @Field(() => VerificationStatus) status!: string;
  @Field(() => VerificationMode) mode!: string;
  @Field(() => VerificationPurpose) purpose!: string;
  @Field(() => DocumentType, { nullable: true, description: 'The document whose number was verified; null for a document only a manual review takes (see reviewDocumentType)' })
  documentType!: string | null;
  @Field(() => ReviewDocumentType, { nullable: true, description: 'Set on the MANUAL verification of requestDocumentReview: the document an operator checks' })
  reviewDocumentType!: string | null;
  @Field(() => String, { nullable: true, description: 'Where the user does liveness; single use, while PENDING' })
  certifyUrl!: string | null;
  @Field(() => String, { nullable: true, description: 'Aliyun CertifyId, for the Alipay mini-program (open-certify)' })
  certifyId!: string | null;
  @Field(() => String, { nullable: true }) maskedName!: string | null;
  @Field(() => String, { nullable: true }) maskedIdCardNumber!: string | null;
  @Field(() => FailureReason, { nullable: true }) failureReason!: FailureReason | null;
  @Field(() => Date) createdAt!: Date;
  @Field(() => Date) updatedAt!: Date;
  @Field(() => Date) expiresAt!: Date;
  @Field(() => Date, { nullable: true }) completedAt!: Date | null;
}

@ObjectType('UserAuthStatus', { description: "A user's real-name status: the letter gate reads it" })
export class UserAuthStatus {
  @Field(() => ID) userId!: string;
  @Field(() => AuthStatus) status!: string;
  @Field(() => Boolean) isValid!: boolean;
  @Field(() => Date, { nullable: true }) verifiedAt!: Date | null;
  @Field(() => Date, { nullable: true }) expiresAt!: Date | null;
  @Field(() => Date, { nullable: true, description: "The held identity's last passed face check (a start, renewal or step-up)" })
  faceCheckedAt!: Date | null;
  @Field(() => Int) daysRemaining!: number;
  @Field(() => Date, { nullable: true, description: 'Set while LOCKED' }) lockedUntil!: Date | null;
  @Field(() => Date, { nullable: true, description: 'From when renewVerification starts (IDENTITY_RENEWAL_DAYS before expiry); null when there is nothing to renew' })
  renewableFrom!: Date | null;
  @Field(() => Boolean, { description: 'The renewal window is open now' }) renewable!: boolean;
  @Field(() => String, { nullable: true }) maskedName!: string | null;
  @Field(() => Verification, { nullable: true }) latestVerification!: Verification | null;
}

@ObjectType('IdentityCheck', { description: 'The answer to "may this user send a letter?"' })
export class IdentityCheck {
  @Field(() => Boolean) passed!: boolean;
  @Field(() => AuthStatus, { nullable: true, description: 'The status when not passed' }) reason!: string | null;
  @Field(() => Date, { nullable: true }) expiresAt!: Date | null;
}

@ObjectType('ConsentTerms')
export class ConsentTerms {
  @Field(() => String) version!: string;
  @Field(() => String) text!: string;
  @Field(() => String, { description: 'The separate notice for face processing (PIPL Art. 29)' }) biometricText!: string;
  @Field(() => String, { description: 'The separate notice of a document review: operators see the name and number (requestDocumentReview, reviewConsent)' })
  reviewText!: string;
}

@ObjectType('SupportedDocument', {
  description: 'A document this deployment accepts (ACCEPTED_DOCUMENTS); the description tells, in Chinese, which documents are not verifiable online and that their path is a manual review (requestDocumentReview)',
})
export class SupportedDocument {
  @Field(() => DocumentType) type!: string;
  @Field(() => String) name!: string;
  @Field(() => String) description!: string;
}

/** What every face check takes: the consents, where to return, a retry key, the liveness page's options. */
@InputType('FaceCheckFields')
abstract class FaceCheckFields {
  @Field(() => String, { description: 'The ConsentTerms.version the user accepted' }) consentVersion!: string;
  @Field(() => Boolean, { description: 'The separate consent to face processing (PIPL Art. 29); anything but true is CONSENT_REQUIRED' })
  biometricConsent!: boolean;
  @Field(() => String, { nullable: true, description: 'Where the user lands after liveness; allowed origins only' })
  returnUrl?: string | null;
  @Field(() => String, { nullable: true, description: '8–64 of [A-Za-z0-9_-]; a retry with the same key returns the same verification' })
  idempotencyKey?: string | null;
  @Field(() => String, { nullable: true, description: "H5: the MetaInfo from Aliyun's getMetaInfo()" })
  metaInfo?: string | null;
  @Field(() => Boolean, { nullable: true, defaultValue: false, description: "适老化模式: Aliyun's liveness page offers its elderly-friendly mode (larger type, voice prompts); H5 only" })
  elderlyMode?: boolean | null;
}

@InputType('FaceCheckInput', { description: "A face check against the identity already held (renewal, step-up): no name or number is sent; on Aliyun's page, or with the WeChat mini-program's own camera" })
export class FaceCheckInput extends FaceCheckFields {
  @Field(() => Boolean, {
    nullable: true,
    defaultValue: false,
    description: 'WeChat mini-program path: no certify page; POST the camera\'s JPEG/PNG (≤ 1 MB) to faceCaptureUrl, as after startFaceCapture',
  })
  faceCapture?: boolean | null;
}

/** A first verification: the face check's input, and the name, number and document it checks. */
@InputType('StartVerificationInput')
export class StartVerificationInput extends FaceCheckFields {
  @Field(() => String, { description: '真实姓名, as on the document' }) realName!: string;
  @Field(() => String, { description: "The document's 18-digit number (an ID card's 15-digit number is upgraded); checked against documentType's rules" })
  idCardNumber!: string;
  @Field(() => DocumentType, { nullable: true, defaultValue: 'RESIDENT_ID_CARD', description: 'Which document the number is from; one of supportedDocuments' })
  documentType?: string | null;
}

@InputType('DocumentReviewInput', { description: 'A document Aliyun cannot verify, for an operator to check (requestDocumentReview)' })
export class DocumentReviewInput {
  @Field(() => ReviewDocumentType) documentType!: string;
  @Field(() => String, { description: 'The name as on the document: Chinese, or Latin letters on a foreign card' }) realName!: string;
  @Field(() => String, { description: "The document's number; checked against documentType's rules and kept as the holder's lifelong number" })
  documentNumber!: string;
  @Field(() => String, { nullable: true, description: 'A note to the reviewer, at most 500 characters' }) note?: string | null;
  @Field(() => String, { description: 'The ConsentTerms.version the user accepted' }) consentVersion!: string;
  @Field(() => Boolean, { description: 'The separate consent to operators seeing the name and number (ConsentTerms.reviewText); anything but true is CONSENT_REQUIRED' })
  reviewConsent!: boolean;
}
