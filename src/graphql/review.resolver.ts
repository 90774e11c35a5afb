import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { failureReason } from '../domain/verification-status.js';
import type { ReviewDecision as Decision } from '../domain/review.js';
import type { ReviewCaseRow } from '../repositories/review.repository.js';
import { caseCursor } from '../services/review.service.js';
import { requireActor, type GraphQLContext } from './context.js';
import { ReviewCase, ReviewCaseConnection, ReviewDecision, ReviewStatus } from './review.types.js';
import { DocumentReviewInput, FailureReason, Verification } from './verification.types.js';

@Resolver(() => ReviewCase)
export class ReviewResolver {
  @Mutation(() => ReviewCase, { description: 'The owner of a FAILED attempt the automatic path cannot fix asks for a manual review; a repeat returns the open case' })
  requestManualReview(
    @Arg('verificationId', () => ID) verificationId: string,
    @Arg('note', () => String, { nullable: true }) note: string | null,
    @Ctx() ctx: GraphQLContext,
  ) {
    return ctx.services.reviews.request(requireActor(ctx), verificationId, note);
  }

  @Mutation(() => ReviewCase, {
    description:
      'A holder of a document Aliyun cannot verify (ReviewDocumentType) asks an operator to check it: opens a case and its MANUAL verification (PROCESSING); subscribe to verificationResult on case.verification. Refused while another case of the user is open',
  })
  requestDocumentReview(@Arg('input', () => DocumentReviewInput) input: DocumentReviewInput, @Ctx() ctx: GraphQLContext) {
    return ctx.services.reviews.requestDocument(requireActor(ctx), input, ctx.meta);
  }

  @Query(() => ReviewCaseConnection, { description: 'Operators: the review queue, oldest first' })
  async reviewCases(
    @Arg('status', () => ReviewStatus, { nullable: true }) status: ReviewCaseRow['status'] | null,
    @Arg('first', () => Int, { nullable: true }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: GraphQLContext,
  ): Promise<ReviewCaseConnection> {
    const page = await ctx.services.reviews.list(requireActor(ctx), status ?? 'OPEN', first ?? 20, after);
    const edges = page.cases.map((node) => ({ cursor: caseCursor(node), node: node as unknown as ReviewCase }));
    return { edges, pageInfo: { hasNextPage: page.hasNextPage, endCursor: edges.at(-1)?.cursor ?? null }, totalCount: page.totalCount };
  }

  @Mutation(() => ReviewCase, { description: 'Operators: APPROVE binds the identity as verified (mode MANUAL); REJECT closes the case' })
  decideReview(
    @Arg('caseId', () => ID) caseId: string,
    @Arg('decision', () => ReviewDecision) decision: Decision,
    @Arg('reason', () => String) reason: string,
    @Ctx() ctx: GraphQLContext,
  ) {
    return ctx.services.reviews.decide(requireActor(ctx), caseId, decision, reason);
  }

  @FieldResolver(() => FailureReason)
  failure(@Root() row: ReviewCaseRow) {
    return failureReason(row.failureCode)!;
  }

  @FieldResolver(() => String, { nullable: true })
  note(@Root() row: ReviewCaseRow, @Ctx() ctx: GraphQLContext) {
    return ctx.services.reviews.noteOf(row);
  }

  @FieldResolver(() => Verification)
  async verification(@Root() row: ReviewCaseRow, @Ctx() ctx: GraphQLContext) {
    return ctx.loaders.verification.load(row.verificationId);
  }

  @FieldResolver(() => Verification, { nullable: true })
  async failedVerification(@Root() row: ReviewCaseRow, @Ctx() ctx: GraphQLContext) {
    return row.failedVerificationId ? ((await ctx.loaders.verification.load(row.failedVerificationId)) ?? null) : null;
  }

  @FieldResolver(() => [Verification])
  attempts(@Root() row: ReviewCaseRow, @Ctx() ctx: GraphQLContext) {
    return ctx.services.reviews.attemptsOf(row.userId);
  }

  @FieldResolver(() => Int)
  approvalsRequired(@Ctx() ctx: GraphQLContext) {
    return ctx.services.reviews.approvalsRequired;
  }
}
