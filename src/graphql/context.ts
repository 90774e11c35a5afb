import DataLoader from 'dataloader';
import { DomainError, ErrorCode } from '../domain/errors.js';
import { maskIdCardNumber, maskName } from '../domain/masking.js';
import type { Actor } from '../domain/actor.js';
import type { Database } from '../db/database.js';
import { verificationRepository, type VerificationRow } from '../repositories/verification.repository.js';
import type { AccessLog } from '../services/access-log.js';
import type { AuthStatusService } from '../services/auth-status.service.js';
import type { DenylistService } from '../services/denylist.service.js';
import type { PersonalDataService } from '../services/personal-data.service.js';
import type { ReviewService } from '../services/review.service.js';
import type { StatsService } from '../services/stats.service.js';
import type { SupportService } from '../services/support.service.js';
import type { PersonalDataVault } from '../services/vault.js';
import type { VerificationResultService } from '../services/verification-result.service.js';
import type { RequestMeta } from '../domain/application.js';
import type { VerificationService } from '../services/verification.service.js';
import type { VerificationWatch } from '../services/verification-watch.js';

export interface Services {
  verifications: VerificationService;
  results: VerificationResultService;
  authStatus: AuthStatusService;
  watch: VerificationWatch;
  vault: PersonalDataVault;
  personalData: PersonalDataService;
  accessLog: AccessLog;
  reviews: ReviewService;
  support: SupportService;
  denylist: DenylistService;
  stats: StatsService;
}

export interface Masked {
  maskedName: string | null;
  maskedIdCardNumber: string | null;
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

export function requireActor(ctx: GraphQLContext): Actor {
  if (!ctx.actor) throw ctx.authError ?? new DomainError(ErrorCode.UNAUTHENTICATED);
  if (ctx.actor.expiresAt && ctx.actor.expiresAt.getTime() <= Date.now()) {
    throw new DomainError(ErrorCode.UNAUTHENTICATED, '登录已失效,请重新登录');
  }
  return ctx.actor;
}

export function createContext(
  services: Services,
  db: Database,
  requestId: string,
  auth: { actor: Actor | null; authError: DomainError | null },
  meta: RequestMeta,
): GraphQLContext {
  // Built on first use: the letter gate and idle subscriptions never need them.
  let loaders: ReturnType<typeof createLoaders> | undefined;
  return {
    requestId,
    ...auth,
    meta,
    services,
    get loaders() {
      return (loaders ??= createLoaders(db, services.vault));
    },
  };
}

/** Per request, so nothing cached outlives it or crosses users. */
function createLoaders(db: Database, vault: PersonalDataVault) {
  return {
    verification: new DataLoader<string, VerificationRow | undefined>(async (ids) => {
      const rows = await verificationRepository.byIds(db, ids);
      return ids.map((id) => rows.find((r) => r.id === id));
    }),
    masked: maskedLoader(vault),
  };
}

/** Decrypts each verification's name and number once per request, and only to mask them. */
function maskedLoader(vault: PersonalDataVault) {
  return new DataLoader<VerificationRow, Masked, string>(
    (rows) =>
      Promise.all(
        rows.map(async (row) => {
          const [{ realName: name, idNumber: number }] = (await vault.openApplicants(row.userId, [row])) as [{ realName: string | null; idNumber: string | null }];
          return { maskedName: name ? maskName(name) : null, maskedIdCardNumber: number ? maskIdCardNumber(number) : null };
        }),
      ),
    { cacheKeyFn: (row) => row.id },
  );
}
