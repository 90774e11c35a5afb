import { Ctx, FieldResolver, Resolver, Root, type ClassType } from 'type-graphql';
import { isDocumentType, isReviewDocumentType } from '../domain/documents.js';
import { failureReason } from '../domain/verification-status.js';
import type { VerificationRow } from '../repositories/verification.repository.js';
import type { GraphQLContext } from './context.js';
import { DocumentType, FailureReason, ReviewDocumentType } from './verification.types.js';

/**
 * What an attempt shows of its applicant and its ending, the same on a user's `Verification` and an
 * operator's `AdminAttempt`: masks only, decrypted through the request's loader. One resolver class
 * per type (type-graphql 2.0 rc.4 cannot inherit field resolvers from an abstract resolver).
 */
export function AttemptFieldsResolver<T extends object>(type: ClassType<T>) {
  @Resolver(() => type)
  class AttemptFields {
    @FieldResolver(() => String, { nullable: true })
    async maskedName(@Root() row: VerificationRow, @Ctx() ctx: GraphQLContext) {
      return (await ctx.loaders.masked.load(row)).maskedName;
    }

    @FieldResolver(() => String, { nullable: true })
    async maskedIdCardNumber(@Root() row: VerificationRow, @Ctx() ctx: GraphQLContext) {
      return (await ctx.loaders.masked.load(row)).maskedIdCardNumber;
    }

    @FieldResolver(() => DocumentType, { nullable: true })
    documentType(@Root() row: VerificationRow) {
      return isDocumentType(row.documentType) ? row.documentType : null;
    }

    @FieldResolver(() => ReviewDocumentType, { nullable: true })
    reviewDocumentType(@Root() row: VerificationRow) {
      return isReviewDocumentType(row.documentType) ? row.documentType : null;
    }

    @FieldResolver(() => FailureReason, { nullable: true })
    failureReason(@Root() row: VerificationRow) {
      return failureReason(row.failureCode);
    }
  }
  return AttemptFields;
}
