import { Arg, Ctx, FieldResolver, Mutation, Resolver, Root } from 'type-graphql';
import type { VerificationRow } from '../repositories/verification.repository.js';
import { awaitsCapture } from '../services/face-capture.service.js';
import { requireActor, type GraphQLContext } from './context.js';
import { StartVerificationInput, Verification } from './verification.types.js';

/**
 * The WeChat mini-program path (ContrastFaceVerify, ID_MIN): `startFaceCapture` checks and records
 * the applicant like `startVerification` but opens no certify page; the mini-program then POSTs its
 * own photo to `faceCaptureUrl`. The result, its audit and `verificationResult` are the H5 path's.
 */
@Resolver(() => Verification)
export class FaceCaptureResolver {
  @Mutation(() => Verification, {
    description: 'WeChat mini-program path: like startVerification (metaInfo not needed), then POST a JPEG/PNG (≤ 1 MB) to faceCaptureUrl',
  })
  startFaceCapture(@Arg('input', () => StartVerificationInput) input: StartVerificationInput, @Ctx() ctx: GraphQLContext) {
    return ctx.services.verifications.start(requireActor(ctx), input, ctx.meta, 'CAPTURE');
  }

  @FieldResolver(() => String, {
    nullable: true,
    description: 'Owner only, while a startFaceCapture verification waits for its photo: POST image/jpeg or image/png here with the same bearer token',
  })
  faceCaptureUrl(@Root() row: VerificationRow, @Ctx() ctx: GraphQLContext) {
    const owner = ctx.actor?.kind === 'user' && ctx.actor.userId === row.userId;
    return owner && awaitsCapture(row) ? ctx.services.faceCaptures.uploadUrlOf(row.id) : null;
  }
}
