import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, Float, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import type { AuditDetail } from '../services/audit-log.js';
import { STATS_INTERVALS } from '../services/stats.service.js';
import { ReviewCase } from './review.types.js';
import { ConsentPurpose, DocumentType, FailureReason, ReviewDocumentType, UserAuthStatus, VerificationMode, VerificationStatus } from './verification.types.js';

const enumOf = <T extends string>(values: readonly T[]) => Object.fromEntries(values.map((v) => [v, v])) as { [K in T]: K };

export const StatsInterval = enumOf(STATS_INTERVALS);
registerEnumType(StatsInterval, { name: 'StatsInterval', description: 'HOUR (UTC hours) or DAY (China days, UTC+8)' });
export const DenylistKind = enumOf(['USER', 'ID_NUMBER'] as const);
registerEnumType(DenylistKind, { name: 'DenylistKind' });

@ObjectType('AdminAttempt', { description: 'One attempt as support sees it: masked, with the failure code and Aliyun SubCode' })
export class AdminAttempt {
  @Field(() => ID) id!: string;
  @Field(() => VerificationStatus) status!: string;
  @Field(() => VerificationMode) mode!: string;
  @Field(() => DocumentType, { nullable: true, description: 'The document verified online; null for a review-only one' }) documentType!: string | null;
  @Field(() => ReviewDocumentType, { nullable: true, description: 'The document of a requestDocumentReview' }) reviewDocumentType!: string | null;
  @Field(() => FailureReason, { nullable: true }) failureReason!: FailureReason | null;
  @Field(() => String, { nullable: true, description: 'Aliyun DescribeFaceVerify SubCode' }) providerSubCode!: string | null;
  @Field(() => String, { nullable: true }) maskedName!: string | null;
  @Field(() => String, { nullable: true }) maskedIdCardNumber!: string | null;
  @Field(() => Date) createdAt!: Date;
  @Field(() => Date, { nullable: true }) completedAt!: Date | null;
}

@ObjectType('AdminConsent')
export class AdminConsent {
  @Field(() => String) version!: string;
  @Field(() => Boolean) biometric!: boolean;
  @Field(() => ConsentPurpose) purpose!: string;
  @Field(() => Date) acceptedAt!: Date;
}

@ObjectType('AuditEvent', { description: 'One event of the audit chain; detail is JSON without PII' })
export class AuditEvent {
  @Field(() => String, { description: 'bigserial, as a decimal string: it outgrows Int' }) seq!: string;
  @Field(() => Date) at!: Date;
  @Field(() => String) actor!: string;
  @Field(() => String) action!: string;
  @Field(() => ID, { nullable: true }) verificationId!: string | null;
  @Field(() => GraphQLJSONObject) detail!: AuditDetail;
}

@ObjectType('AuditEventConnection', { description: "A user's audit trail, newest first" })
export class AuditEventConnection {
  @Field(() => [AuditEvent]) events!: AuditEvent[];
  @Field(() => Boolean) hasNextPage!: boolean;
  @Field(() => String, { nullable: true, description: 'Pass as `after` for older events' }) endCursor!: string | null;
}

@ObjectType('AdminUserView', { description: 'Everything support needs about one user; reading it is audited' })
export class AdminUserView {
  @Field(() => ID) userId!: string;
  @Field(() => UserAuthStatus) status!: UserAuthStatus;
  @Field(() => Date, { nullable: true }) lockedUntil!: Date | null;
  @Field(() => Boolean) denied!: boolean;
  @Field(() => String, { nullable: true }) deniedReason!: string | null;
  @Field(() => String, { nullable: true, description: 'Of the bound identity, else of the latest attempt' }) maskedName!: string | null;
  @Field(() => String, { nullable: true }) maskedIdCardNumber!: string | null;
  @Field(() => [AdminAttempt], { description: 'Newest first' }) attempts!: AdminAttempt[];
  @Field(() => [AdminConsent]) consents!: AdminConsent[];
  @Field(() => [ReviewCase]) cases!: ReviewCase[];
  @Field(() => AuditEventConnection) auditTrail!: AuditEventConnection;
}

@ObjectType('RevealedIdentity', { description: 'A full name and number, shown to an operator once, audited' })
export class RevealedIdentity {
  @Field(() => ID) userId!: string;
  @Field(() => ID) verificationId!: string;
  @Field(() => String) realName!: string;
  @Field(() => String) idCardNumber!: string;
}

@ObjectType('DenylistChange')
export class DenylistChange {
  @Field(() => DenylistKind) kind!: string;
  @Field(() => String, { description: 'The user id, or the start of the number’s blind index' }) reference!: string;
  @Field(() => Boolean, { description: 'False when the list already said so' }) changed!: boolean;
  @Field(() => Int, { description: 'Accounts concerned (each got an audit event)' }) affectedAccounts!: number;
}

@ObjectType('DenylistEntry', { description: 'One denylist entry; numbers appear only as the start of their blind index' })
export class DenylistEntry {
  @Field(() => DenylistKind) kind!: string;
  @Field(() => String) reference!: string;
  @Field(() => String) reason!: string;
  @Field(() => String) createdBy!: string;
  @Field(() => Date) createdAt!: Date;
}

@ObjectType('KeyCount')
export class KeyCount {
  @Field(() => String) key!: string;
  @Field(() => Int) count!: number;
}

@ObjectType('StatsBucket', { description: 'One interval of verificationStats' })
export class StatsBucket {
  @Field(() => Date) start!: Date;
  @Field(() => Date) end!: Date;
  @Field(() => Int, { description: 'Automatic verifications started' }) starts!: number;
  @Field(() => [KeyCount], { description: 'Verifications ended in the interval, by status' }) byStatus!: KeyCount[];
  @Field(() => [KeyCount], { description: 'Failed or expired, by failure code' }) byFailureCode!: KeyCount[];
  @Field(() => Float, { nullable: true, description: 'Median seconds from start to result (automatic, ended VERIFIED or FAILED)' }) medianSeconds!: number | null;
  @Field(() => Float, { nullable: true }) p90Seconds!: number | null;
  @Field(() => Int, { description: 'Failures caused by the provider or its source (SOURCE_ERROR, PROVIDER_REJECTED)' }) providerErrors!: number;
  @Field(() => Int, { description: 'Review cases open at the end of the interval (or now)' }) openReviewCases!: number;
  @Field(() => Float, { nullable: true }) oldestOpenCaseAgeSeconds!: number | null;
}

@ObjectType('VerificationStats')
export class VerificationStats {
  @Field(() => StatsInterval) interval!: string;
  @Field(() => [StatsBucket]) buckets!: StatsBucket[];
}
