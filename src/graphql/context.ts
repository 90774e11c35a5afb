import DataLoader from 'dataloader';
import { DomainError, ErrorCode } from '../domain/errors.js';
import type { Actor } from '../domain/actor.js';
import type { VerificationRow } from '../repositories/verification.repository.js';
import type { AccessLog } from '../services/access-log.js';
import type { AuthStatusService } from '../services/auth-status.service.js';
import type { DenylistService } from '../services/denylist.service.js';
import type { FaceCaptureService } from '../services/face-capture.service.js';
import type { PersonalDataService } from '../services/personal-data.service.js';
import type { ReviewService } from '../services/review.service.js';
import type { StatsService } from '../services/stats.service.js';
import type { SupportService } from '../services/support.service.js';
import type { PersonalDataVault } from '../services/vault.js';
import type { VerificationResultService } from '../services/verification-result.service.js';
import type { RequestMeta } from '../domain/application.js';
import type { MaskedApplicant, VerificationService } from '../services/verification.service.js';
import type { VerificationWatch } from '../services/verification-watch.js';
import type { WebhookService } from '../services/webhook.service.js';

export interface Services {
  verifications: VerificationService;
  results: VerificationResultService;
  authStatus: AuthStatusService;
  watch: VerificationWatch;
  faceCaptures: FaceCaptureService;
  vault: PersonalDataVault;
  personalData: PersonalDataService;
  accessLog: AccessLog;
  reviews: ReviewService;
  support: SupportService;
  denylist: DenylistService;
  stats: StatsService;
  webhooks: WebhookService;
}

export interface GraphQLContext {
  requestId: string;
  /** Null with `authError` set when the token was missing or bad: each field decides. */
  actor: Actor | null;
  authError: DomainError | null;
  meta: RequestMeta;
  services: Services;
  loaders: ReturnType<typeof createLoaders>;
}

// Wall time, not the app's clock: jose verified the token against wall time, and a token's life is
// the issuer's, not a domain rule that tests move (they run replicas a year ahead with live tokens).
export function requireActor(ctx: GraphQLContext): Actor {
  if (!ctx.actor) throw ctx.authError ?? new DomainError(ErrorCode.UNAUTHENTICATED);
  if (ctx.actor.expiresAt && ctx.actor.expiresAt.getTime() <= Date.now()) {
    throw new DomainError(ErrorCode.UNAUTHENTICATED, '登录已失效,请重新登录');
  }
  return ctx.actor;
}

export function createContext(
  services: Services,
  requestId: string,
  auth: { actor: Actor | null; authError: DomainError | null },
  meta: RequestMeta,
): GraphQLContext {
  return new RequestContext(services, requestId, auth.actor, auth.authError, meta);
}

/**
 * A class, not an object literal with a getter: its instances share one shape, where the literal
 * (a spread and an accessor) became a dictionary of ~450 bytes, held by every open subscription.
 */
class RequestContext implements GraphQLContext {
  // A plain field, not #private: Apollo shallow-copies a context per operation of a batch, and a
  // copy would not carry a private field.
  private builtLoaders: ReturnType<typeof createLoaders> | undefined;

  constructor(
    readonly services: Services,
    readonly requestId: string,
    readonly actor: Actor | null,
    readonly authError: DomainError | null,
    readonly meta: RequestMeta,
  ) {}

  /** Built on first use: the letter gate and idle subscriptions never need them. */
  get loaders() {
    return (this.builtLoaders ??= createLoaders(this.services.verifications));
  }
}

/** Per request, so nothing cached outlives it or crosses users. */
function createLoaders(verifications: VerificationService) {
  return {
    verification: new DataLoader<string, VerificationRow | undefined>(async (ids) => {
      const rows = await verifications.byIds(ids);
      return ids.map((id) => rows.find((r) => r.id === id));
    }),
    /** Each verification's name and number decrypted once per request, and only to be masked. */
    masked: new DataLoader<VerificationRow, MaskedApplicant, string>((rows) => verifications.maskedApplicants(rows), { cacheKeyFn: (row) => row.id }),
  };
}
