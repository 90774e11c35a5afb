import { Arg, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { requireActor, type GraphQLContext } from './context.js';
import { DeletionReceipt, PersonalDataExport } from './personal-data.types.js';

@Resolver()
export class PersonalDataResolver {
  @Query(() => PersonalDataExport, { description: 'Everything held about the caller, unmasked; end users only' })
  exportMyData(@Ctx() ctx: GraphQLContext) {
    return ctx.services.personalData.export(requireActor(ctx));
  }

  @Mutation(() => DeletionReceipt, { description: "Erases the caller's personal data; they are UNVERIFIED afterwards" })
  deleteMyData(@Ctx() ctx: GraphQLContext) {
    return ctx.services.personalData.deleteMine(requireActor(ctx));
  }

  @Mutation(() => DeletionReceipt, { description: "Service only: erases a user's personal data" })
  redactUser(@Arg('userId', () => ID) userId: string, @Ctx() ctx: GraphQLContext) {
    return ctx.services.personalData.redact(requireActor(ctx), userId);
  }
}
