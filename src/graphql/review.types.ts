import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { reviewStatuses } from '../db/schema.js';
import { REVIEW_DECISIONS } from '../domain/review.js';
import { FailureReason, Verification } from './verification.types.js';

const enumOf = <T extends string>(values: readonly T[]) => Object.fromEntries(values.map((v) => [v, v])) as { [K in T]: K };

export const ReviewStatus = enumOf(reviewStatuses);
registerEnumType(ReviewStatus, {
  name: 'ReviewStatus',
  description: 'OPEN: waiting for an operator; APPROVED/REJECTED: decided; WITHDRAWN: the user started a new attempt',
});
export const ReviewDecision = enumOf(REVIEW_DECISIONS);
registerEnumType(ReviewDecision, { name: 'ReviewDecision', description: 'APPROVE binds the identity as verified (mode MANUAL); REJECT closes the case' });

@ObjectType('ReviewCase', { description: 'A request for a manual review: of a failed verification (requestManualReview), or of a document Aliyun cannot verify (requestDocumentReview)' })
export class ReviewCase {
  @Field(() => ID) id!: string;
  @Field(() => ID) userId!: string;
  @Field(() => ReviewStatus) status!: string;
  @Field(() => FailureReason, { description: 'Why the automatic check failed; DOCUMENT_NOT_ACCEPTED for a document review, which had none' }) failure!: FailureReason;
  @Field(() => String, { nullable: true, description: "The user's note to the reviewer" }) note!: string | null;
  @Field(() => Verification, { description: 'The MANUAL verification the decision moves: subscribe to verificationResult on it' })
  verification!: Verification;
  @Field(() => Verification, { nullable: true, description: 'The failed attempt the user asked about; null for a document review' }) failedVerification!: Verification | null;
  @Field(() => [Verification], { description: "The user's attempts, newest first, masked (operators only)" }) attempts!: Verification[];
  @Field(() => [String], { description: 'Operators who approved so far' }) approvedBy!: string[];
  @Field(() => Int, { description: 'Approvals an approval takes (2 with REVIEW_TWO_PERSON)' }) approvalsRequired!: number;
  @Field(() => String, { nullable: true }) decidedBy!: string | null;
  @Field(() => String, { nullable: true }) decisionReason!: string | null;
  @Field(() => Date) createdAt!: Date;
  @Field(() => Date, { nullable: true }) decidedAt!: Date | null;
}

@ObjectType('ReviewCaseEdge')
export class ReviewCaseEdge {
  @Field(() => String) cursor!: string;
  @Field(() => ReviewCase) node!: ReviewCase;
}

@ObjectType('PageInfo')
export class PageInfo {
  @Field(() => Boolean) hasNextPage!: boolean;
  @Field(() => String, { nullable: true }) endCursor!: string | null;
}

@ObjectType('ReviewCaseConnection', { description: 'The review queue, oldest first' })
export class ReviewCaseConnection {
  @Field(() => [ReviewCaseEdge]) edges!: ReviewCaseEdge[];
  @Field(() => PageInfo) pageInfo!: PageInfo;
  @Field(() => Int) totalCount!: number;
}
