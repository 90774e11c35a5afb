import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import type { SubscribeResolverData } from 'type-graphql';
import { CONSENT_TERMS } from '../domain/consent-terms.js';
import { isTerminal } from '../domain/verification-status.js';
import type { VerificationRow } from '../repositories/verification.repository.js';
// The domain's status, which the GraphQL type of the same name (below) renders.
import type { UserAuthStatus as UserAuthState } from '../domain/auth-status.js';
import { AttemptFieldsResolver } from './attempt-fields.resolver.js';
import { requireActor, type GraphQLContext } from './context.js';
import {
  ConsentTerms,
  FaceCheckInput,
  IdentityCheck,
  StartVerificationInput,
  SupportedDocument,
  UserAuthStatus,
  Verification,
} from './verification.types.js';

@Resolver(() => Verification)
export class VerificationResolver {
  @Query(() => Verification, { nullable: true, description: 'Owner or service only; anyone else reads null' })
  async verification(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext) {
    return ctx.services.verifications.read(requireActor(ctx), id);
  }

  @Mutation(() => Verification)
  startVerification(@Arg('input', () => StartVerificationInput) input: StartVerificationInput, @Ctx() ctx: GraphQLContext) {
    return ctx.services.verifications.start(requireActor(ctx), input, ctx.meta);
  }

  @Mutation(() => Verification, { description: 'From renewableFrom: one face check against the held identity, whose validity starts again on success' })
  renewVerification(@Arg('input', () => FaceCheckInput) input: FaceCheckInput, @Ctx() ctx: GraphQLContext) {
    return ctx.services.verifications.renew(requireActor(ctx), input, ctx.meta);
  }

  @Mutation(() => Verification, { description: 'After STEP_UP_REQUIRED: one face check against the held identity; its expiry does not move' })
  startStepUp(@Arg('input', () => FaceCheckInput) input: FaceCheckInput, @Ctx() ctx: GraphQLContext) {
    return ctx.services.verifications.startStepUp(requireActor(ctx), input, ctx.meta);
  }

  @Mutation(() => Verification)
  cancelVerification(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext) {
    return ctx.services.verifications.cancel(requireActor(ctx), id);
  }

  @Subscription(() => Verification, {
    description: 'The current state first, then every change; completes after a terminal state',
    subscribe: ({ args, context }: SubscribeResolverData<unknown, { id: string }, GraphQLContext>) =>
      context.services.watch.watch(requireActor(context), args.id),
  })
  verificationResult(@Arg('id', () => ID) _id: string, @Root() row: VerificationRow): VerificationRow {
    return row;
  }

  // Only the owner gets the link (or the id) that would let someone do the liveness step in their
  // name: never the letter backend, never an operator.
  @FieldResolver(() => String, { nullable: true })
  certifyUrl(@Root() row: VerificationRow, @Ctx() ctx: GraphQLContext) {
    return isTerminal(row.status) || ctx.actor?.kind !== 'user' ? null : row.certifyUrl;
  }

  @FieldResolver(() => String, { nullable: true })
  certifyId(@Root() row: VerificationRow, @Ctx() ctx: GraphQLContext) {
    return isTerminal(row.status) || ctx.actor?.kind !== 'user' ? null : row.certifyId;
  }
}

@Resolver(() => UserAuthStatus)
export class UserAuthStatusResolver {
  @Query(() => UserAuthStatus, { description: 'userId only for service callers; end users read their own' })
  userAuthStatus(@Arg('userId', () => ID, { nullable: true }) userId: string | null, @Ctx() ctx: GraphQLContext) {
    return ctx.services.authStatus.statusFor(requireActor(ctx), userId);
  }

  @Mutation(() => IdentityCheck, { description: 'The gate before each letter: passed only for a valid verified identity' })
  verifyIdentity(
    @Arg('userId', () => ID, { nullable: true }) userId: string | null,
    @Arg('maxFaceCheckAgeDays', () => Int, { nullable: true, description: 'A sensitive letter: STEP_UP_REQUIRED when the last passed face check is older than this' })
    maxFaceCheckAgeDays: number | null,
    @Ctx() ctx: GraphQLContext,
  ) {
    return ctx.services.authStatus.checkIdentity(requireActor(ctx), userId, maxFaceCheckAgeDays);
  }

  @FieldResolver(() => Verification, { nullable: true })
  async latestVerification(@Root() state: UserAuthState, @Ctx() ctx: GraphQLContext) {
    if (!state.verificationId) return null;
    return (await ctx.loaders.verification.load(state.verificationId)) ?? null;
  }

  @FieldResolver(() => String, { nullable: true })
  async maskedName(@Root() state: UserAuthState, @Ctx() ctx: GraphQLContext) {
    const row = await this.latestVerification(state, ctx);
    return row ? (await ctx.loaders.masked.load(row)).maskedName : null;
  }
}

@Resolver()
export class ReferenceResolver {
  @Query(() => ConsentTerms, { description: 'The text and version the user must accept before starting' })
  consentTerms(@Ctx() ctx: GraphQLContext): ConsentTerms {
    requireActor(ctx);
    return CONSENT_TERMS;
  }

  @Query(() => [SupportedDocument], { description: 'The documents this deployment accepts at startVerification' })
  supportedDocuments(@Ctx() ctx: GraphQLContext): SupportedDocument[] {
    requireActor(ctx);
    return [...ctx.services.verifications.supportedDocuments()];
  }
}

export const VerificationFieldsResolver = AttemptFieldsResolver(Verification);
