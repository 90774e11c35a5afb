import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import type { AuditDetail } from '../services/audit-log.js';
import { ReviewStatus } from './review.types.js';
import { ConsentPurpose, VerificationMode, VerificationStatus } from './verification.types.js';

// The only place the service hands out names and numbers unmasked: to their owner, on request.

@ObjectType('ExportedVerification', { description: 'One verification attempt with what it holds, decrypted for its owner' })
export class ExportedVerification {
  @Field(() => ID) id!: string;
  @Field(() => VerificationStatus) status!: string;
  @Field(() => VerificationMode) mode!: string;
  @Field(() => String, { description: 'A DocumentType, or for a document review a ReviewDocumentType' }) documentType!: string;
  @Field(() => String, { nullable: true, description: 'Null once erased or purged' }) realName!: string | null;
  @Field(() => String, { nullable: true, description: 'Null once erased or purged' }) idCardNumber!: string | null;
  @Field(() => String, { nullable: true }) failureCode!: string | null;
  @Field(() => ID, { nullable: true }) consentId!: string | null;
  @Field(() => Date) createdAt!: Date;
  @Field(() => Date) updatedAt!: Date;
  @Field(() => Date) expiresAt!: Date;
  @Field(() => Date, { nullable: true }) completedAt!: Date | null;
}

@ObjectType('ExportedConsent', { description: 'A consent as recorded: which terms, when, and from where' })
export class ExportedConsent {
  @Field(() => ID) id!: string;
  @Field(() => String) version!: string;
  @Field(() => Boolean, { description: 'The separate consent to face processing' }) biometric!: boolean;
  @Field(() => ConsentPurpose, { description: 'What the consent was to: a verification, or operators seeing a document' }) purpose!: string;
  @Field(() => Date) acceptedAt!: Date;
  @Field(() => String, { nullable: true }) clientIp!: string | null;
  @Field(() => String, { nullable: true }) userAgent!: string | null;
}

@ObjectType('ExportedReviewCase', { description: 'A manual review the user asked for, with their own note' })
export class ExportedReviewCase {
  @Field(() => ID) id!: string;
  @Field(() => ReviewStatus) status!: string;
  @Field(() => ID, { nullable: true, description: 'The failed attempt it was about; null for a document review' }) failedVerificationId!: string | null;
  @Field(() => ID, { description: 'The MANUAL verification the decision moved' }) verificationId!: string;
  @Field(() => String, { nullable: true }) note!: string | null;
  @Field(() => Date) createdAt!: Date;
  @Field(() => Date, { nullable: true }) decidedAt!: Date | null;
  @Field(() => String, { nullable: true, description: "The operator's reason" }) decisionReason!: string | null;
}

@ObjectType('ExportedIdentity', { description: 'The verified identity bound to this account' })
export class ExportedIdentity {
  @Field(() => ID) verificationId!: string;
  @Field(() => Date) verifiedAt!: Date;
  @Field(() => Date) expiresAt!: Date;
  @Field(() => Date, { nullable: true, description: 'The last passed face check (a start, renewal or step-up)' }) faceCheckedAt!: Date | null;
}

@ObjectType('ExportedFaceImage', { description: 'A face image kept under FACE_IMAGE_RETENTION_DAYS' })
export class ExportedFaceImage {
  @Field(() => ID) verificationId!: string;
  @Field(() => Date) createdAt!: Date;
  @Field(() => Date) purgeAfter!: Date;
  @Field(() => String, { nullable: true }) imageBase64!: string | null;
}

@ObjectType('ExportedAuditEvent', { description: 'An audit event about this user (never holds personal data)' })
export class ExportedAuditEvent {
  @Field(() => String, { description: 'bigserial, as a decimal string: it outgrows Int' }) seq!: string;
  @Field(() => Date) at!: Date;
  @Field(() => String, { description: '`user:<id>`, `service:<sub>`, `provider`, `reconciler`, `retention`' }) actor!: string;
  @Field(() => String) action!: string;
  @Field(() => ID, { nullable: true }) verificationId!: string | null;
  @Field(() => GraphQLJSONObject) detail!: AuditDetail;
}

@ObjectType('PersonalDataExport', { description: 'Everything held about the caller (PIPL Art. 45)' })
export class PersonalDataExport {
  @Field(() => ID) userId!: string;
  @Field(() => Date) exportedAt!: Date;
  @Field(() => [ExportedVerification]) verifications!: ExportedVerification[];
  @Field(() => [ExportedConsent]) consents!: ExportedConsent[];
  @Field(() => [ExportedReviewCase]) reviewCases!: ExportedReviewCase[];
  @Field(() => ExportedIdentity, { nullable: true }) identity!: ExportedIdentity | null;
  @Field(() => [ExportedFaceImage]) faceImages!: ExportedFaceImage[];
  @Field(() => [ExportedAuditEvent]) auditEvents!: ExportedAuditEvent[];
}

@ObjectType('DeletionReceipt', { description: "What an erasure removed; the records keep only that attempts happened, their status and times" })
export class DeletionReceipt {
  @Field(() => ID) userId!: string;
  @Field(() => Date) erasedAt!: Date;
  @Field(() => Boolean, { description: 'The data key is gone from the live database: every live copy of the ciphers is unreadable (backups: see backupsUnreadableFrom)' })
  dataKeyShredded!: boolean;
  @Field(() => Date, { description: 'From when the live copies are unreadable: the erasure itself' })
  liveCopiesUnreadableAt!: Date;
  @Field(() => [Int], { description: 'Master key versions under which a backup may still hold the data key; empty once all are retired' })
  backupKeyVersions!: number[];
  @Field(() => Date, {
    nullable: true,
    description: 'The earliest those versions can be retired (BACKUP_RETENTION_DAYS from now, after a rotation), from when backup copies are unreadable too; null when there was no data key',
  })
  backupsUnreadableFrom!: Date | null;
  @Field(() => String, { description: 'What holds and from when, in Chinese for the user' })
  notice!: string;
  @Field(() => Int) verificationsCanceled!: number;
  @Field(() => Int) verificationsErased!: number;
  @Field(() => Int) consentsErased!: number;
  @Field(() => Int) identitiesRemoved!: number;
  @Field(() => Int) faceImagesRemoved!: number;
}
