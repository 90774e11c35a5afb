import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { ReviewDocumentType as RDT } from '../domain/documents.js';
import type { VerificationRow } from '../repositories/verification.repository.js';
import type { AdminUserFacts } from '../services/support.service.js';
import type { StatsInterval as Interval } from '../services/stats.service.js';
import { AttemptFieldsResolver } from './attempt-fields.resolver.js';
import { requireActor, type GraphQLContext } from './context.js';
import {
  AdminAttempt,
  AdminUserView,
  AuditEventConnection,
  DenylistChange,
  DenylistEntry,
  RevealedIdentity,
  StatsInterval,
  VerificationStats,
} from './operator.types.js';
import { ReviewCase } from './review.types.js';
import { ReviewDocumentType, UserAuthStatus } from './verification.types.js';

/** The operators' number lookups take a review-only document's number too. */
const REVIEW_DOCUMENT_ARG = {
  nullable: true,
  description: 'For a travel permit or a foreign permanent residence card (requestDocumentReview); absent: a GB 11643 number',
} as const;

/** The operators' support tools (scope realname:admin); each service call audits with the operator and reason. */
@Resolver(() => AdminUserView)
export class OperatorResolver {
  @Query(() => AdminUserView, { description: 'Operators: one user’s status, lockout, masked identity, attempts, consents, cases and audit trail' })
  adminUser(
    @Arg('userId', () => ID) userId: string,
    @Arg('reason', () => String, { nullable: true }) reason: string | null,
    @Ctx() ctx: GraphQLContext,
  ) {
    return ctx.services.support.adminUser(requireActor(ctx), userId, reason);
  }

  @Mutation(() => RevealedIdentity, { description: 'Operators: the full name and number; rate-limited per operator, audited' })
  revealIdentity(@Arg('userId', () => ID) userId: string, @Arg('reason', () => String) reason: string, @Ctx() ctx: GraphQLContext) {
    return ctx.services.support.revealIdentity(requireActor(ctx), userId, reason);
  }

  @Query(() => [ID], { description: 'Operators: accounts bound to or having tried a number (through the blind index)' })
  findAccountsByIdNumber(
    @Arg('idCardNumber', () => String) idCardNumber: string,
    @Arg('reason', () => String) reason: string,
    @Arg('documentType', () => ReviewDocumentType, REVIEW_DOCUMENT_ARG) documentType: RDT | null,
    @Ctx() ctx: GraphQLContext,
  ) {
    return ctx.services.support.findAccountsByIdNumber(requireActor(ctx), idCardNumber, reason, documentType);
  }

  @Mutation(() => UserAuthStatus, { description: 'Operators: failures so far stop counting towards the lockout' })
  unlockUser(@Arg('userId', () => ID) userId: string, @Arg('reason', () => String) reason: string, @Ctx() ctx: GraphQLContext) {
    return ctx.services.support.unlockUser(requireActor(ctx), userId, reason);
  }

  @Mutation(() => UserAuthStatus, { description: 'Operators: removes the bound identity (a stolen one); the account becomes UNVERIFIED' })
  releaseIdentity(@Arg('userId', () => ID) userId: string, @Arg('reason', () => String) reason: string, @Ctx() ctx: GraphQLContext) {
    return ctx.services.support.releaseIdentity(requireActor(ctx), userId, reason);
  }

  @Mutation(() => DenylistChange, { description: 'Operators: refuse this number (held as its blind index) at start and at the gate' })
  denyIdNumber(
    @Arg('idCardNumber', () => String) idCardNumber: string,
    @Arg('reason', () => String) reason: string,
    @Arg('documentType', () => ReviewDocumentType, REVIEW_DOCUMENT_ARG) documentType: RDT | null,
    @Ctx() ctx: GraphQLContext,
  ) {
    return ctx.services.denylist.denyIdNumber(requireActor(ctx), idCardNumber, reason, documentType);
  }

  @Mutation(() => DenylistChange)
  allowIdNumber(
    @Arg('idCardNumber', () => String) idCardNumber: string,
    @Arg('reason', () => String) reason: string,
    @Arg('documentType', () => ReviewDocumentType, REVIEW_DOCUMENT_ARG) documentType: RDT | null,
    @Ctx() ctx: GraphQLContext,
  ) {
    return ctx.services.denylist.allowIdNumber(requireActor(ctx), idCardNumber, reason, documentType);
  }

  @Mutation(() => DenylistChange, { description: 'Operators: refuse this account at start and at the gate (DENIED)' })
  denyUser(@Arg('userId', () => ID) userId: string, @Arg('reason', () => String) reason: string, @Ctx() ctx: GraphQLContext) {
    return ctx.services.denylist.denyUser(requireActor(ctx), userId, reason);
  }

  @Mutation(() => DenylistChange)
  allowUser(@Arg('userId', () => ID) userId: string, @Arg('reason', () => String) reason: string, @Ctx() ctx: GraphQLContext) {
    return ctx.services.denylist.allowUser(requireActor(ctx), userId, reason);
  }

  @Query(() => [DenylistEntry], { description: 'Operators: the denylist, newest first' })
  async denylist(@Ctx() ctx: GraphQLContext): Promise<DenylistEntry[]> {
    const rows = await ctx.services.denylist.entries(requireActor(ctx));
    return rows.map((r) => ({ kind: r.kind, reference: r.kind === 'USER' ? r.value : r.value.slice(0, 12), reason: r.reason, createdBy: r.createdBy, createdAt: r.createdAt }));
  }

  @Query(() => VerificationStats, { description: 'Operators: per interval, starts, results, durations, provider errors and the review queue' })
  async verificationStats(
    @Arg('from', () => Date) from: Date,
    @Arg('to', () => Date) to: Date,
    @Arg('interval', () => StatsInterval) interval: Interval,
    @Ctx() ctx: GraphQLContext,
  ): Promise<VerificationStats> {
    return { interval, buckets: await ctx.services.stats.verificationStats(requireActor(ctx), from, to, interval) };
  }

  @FieldResolver(() => UserAuthStatus)
  status(@Root() facts: AdminUserFacts) {
    return facts.state;
  }

  @FieldResolver(() => Date, { nullable: true })
  lockedUntil(@Root() facts: AdminUserFacts) {
    return facts.state.lockedUntil;
  }

  @FieldResolver(() => Boolean)
  denied(@Root() facts: AdminUserFacts) {
    return facts.state.status === 'DENIED';
  }

  @FieldResolver(() => String, { nullable: true })
  async maskedName(@Root() facts: AdminUserFacts, @Ctx() ctx: GraphQLContext) {
    const row = this.identityRow(facts);
    return row ? (await ctx.loaders.masked.load(row)).maskedName : null;
  }

  @FieldResolver(() => String, { nullable: true })
  async maskedIdCardNumber(@Root() facts: AdminUserFacts, @Ctx() ctx: GraphQLContext) {
    const row = this.identityRow(facts);
    return row ? (await ctx.loaders.masked.load(row)).maskedIdCardNumber : null;
  }

  @FieldResolver(() => [AdminAttempt])
  attempts(@Root() facts: AdminUserFacts) {
    return facts.attempts;
  }

  @FieldResolver(() => [ReviewCase])
  cases(@Root() facts: AdminUserFacts, @Ctx() ctx: GraphQLContext) {
    return ctx.services.reviews.casesOf(facts.userId);
  }

  @FieldResolver(() => AuditEventConnection)
  async auditTrail(
    @Root() facts: AdminUserFacts,
    @Arg('first', () => Int, { nullable: true }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: GraphQLContext,
  ): Promise<AuditEventConnection> {
    return ctx.services.support.auditTrail(facts.userId, first ?? 50, after);
  }

  private identityRow(facts: AdminUserFacts): VerificationRow | undefined {
    return facts.attempts.find((a) => a.id === facts.identityVerificationId) ?? facts.attempts[0];
  }
}

/** Masks and the failure reason, as on a user's Verification. */
export const AdminAttemptResolver = AttemptFieldsResolver(AdminAttempt);
