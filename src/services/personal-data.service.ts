import type { Database } from '../db/database.js';
import { actorLabel, isUserId, type Actor } from '../domain/actor.js';
import { DomainError, ErrorCode } from '../domain/errors.js';
import type { Logger } from '../logger.js';
import type { EventBus } from '../pubsub/event-bus.js';
import { auditRepository } from '../repositories/audit.repository.js';
import { consentRepository } from '../repositories/consent.repository.js';
import { faceImageRepository } from '../repositories/face-image.repository.js';
import { identityRepository } from '../repositories/identity.repository.js';
import { personalDataRepository } from '../repositories/personal-data.repository.js';
import { verificationRepository, type VerificationRow } from '../repositories/verification.repository.js';
import { appendAudit, type AuditDetail } from './audit-log.js';
import type { PersonalDataLimiter } from './personal-data-limits.js';
import { announce, moveVerification } from './transitions.js';
import type { PersonalDataVault } from './vault.js';

export interface PersonalDataExport {
  userId: string;
  exportedAt: Date;
  verifications: {
    id: string;
    status: string;
    mode: string;
    realName: string | null;
    idCardNumber: string | null;
    failureCode: string | null;
    consentId: string | null;
    createdAt: Date;
    updatedAt: Date;
    expiresAt: Date;
    completedAt: Date | null;
  }[];
  consents: { id: string; version: string; biometric: boolean; acceptedAt: Date; clientIp: string | null; userAgent: string | null }[];
  identity: { verificationId: string; verifiedAt: Date; expiresAt: Date } | null;
  faceImages: { verificationId: string; createdAt: Date; purgeAfter: Date; imageBase64: string | null }[];
  auditEvents: { seq: string; at: Date; actor: string; action: string; verificationId: string | null; detail: AuditDetail }[];
}

export interface DeletionReceipt {
  userId: string;
  erasedAt: Date;
  dataKeyShredded: boolean;
  verificationsCanceled: number;
  verificationsErased: number;
  consentsErased: number;
  identitiesRemoved: number;
  faceImagesRemoved: number;
}


/** The data subject's rights (PIPL Art. 45 and 47): a copy of everything held, and erasure. */
export class PersonalDataService {
  constructor(
    private readonly db: Database,
    private readonly vault: PersonalDataVault,
    private readonly bus: EventBus,
    private readonly clock: () => Date,
    private readonly log: Logger,
    private readonly limit: PersonalDataLimiter = async () => {},
  ) {}

  /** Decrypted for the user alone: a service token may read a status, never this. */
  async export(actor: Actor): Promise<PersonalDataExport> {
    if (actor.kind !== 'user') throw new DomainError(ErrorCode.FORBIDDEN, '个人信息副本仅限本人获取');
    const { userId } = actor;
    await this.limit(userId, 'export');
    const [verifications, consents, identity, images, events] = await Promise.all([
      verificationRepository.allForUser(this.db, userId),
      consentRepository.allForUser(this.db, userId),
      identityRepository.byUser(this.db, userId),
      faceImageRepository.ofUser(this.db, userId),
      auditRepository.forUser(this.db, userId),
    ]);
    const applicants = await this.vault.openApplicants(userId, verifications);
    const faceImages = await Promise.all(
      images.map(async (image) => {
        const bytes = await this.vault.openFaceImage(userId, image.verificationId, image.imageCipher);
        return { verificationId: image.verificationId, createdAt: image.createdAt, purgeAfter: image.purgeAfter, imageBase64: bytes?.toString('base64') ?? null };
      }),
    );
    const exportedAt = this.clock();
    await this.db.transaction((tx) => appendAudit(tx, { at: exportedAt, actor: actorLabel(actor), action: 'personal_data.exported', subjectUserId: userId }));
    return {
      userId,
      exportedAt,
      verifications: verifications.map((v, i) => ({
        id: v.id,
        status: v.status,
        mode: v.mode,
        realName: applicants[i]!.realName,
        idCardNumber: applicants[i]!.idNumber,
        failureCode: v.failureCode,
        consentId: v.consentId,
        createdAt: v.createdAt,
        updatedAt: v.updatedAt,
        expiresAt: v.expiresAt,
        completedAt: v.completedAt,
      })),
      consents: consents.map(({ id, version, biometric, acceptedAt, clientIp, userAgent }) => ({ id, version, biometric, acceptedAt, clientIp, userAgent })),
      identity: identity ? { verificationId: identity.verificationId, verifiedAt: identity.verifiedAt, expiresAt: identity.expiresAt } : null,
      faceImages,
      auditEvents: events.map((e) => ({ seq: String(e.seq), at: e.at, actor: e.actor, action: e.action, verificationId: e.verificationId, detail: e.detail })),
    };
  }

  async deleteMine(actor: Actor): Promise<DeletionReceipt> {
    if (actor.kind !== 'user') throw new DomainError(ErrorCode.FORBIDDEN, '服务账号请使用 redactUser');
    await this.limit(actor.userId, 'delete');
    return this.erase(actor.userId, actorLabel(actor));
  }

  /** For the platform acting on a user's request or an account's closure (scope realname:redact). */
  async redact(actor: Actor, userId: string): Promise<DeletionReceipt> {
    if (actor.kind !== 'service' || !actor.mayRedact) throw new DomainError(ErrorCode.FORBIDDEN);
    if (!isUserId(userId)) throw new DomainError(ErrorCode.BAD_USER_INPUT, 'userId 无效');
    return this.erase(userId, actorLabel(actor));
  }

  /**
   * One transaction. The open attempt is closed first: its row lock makes an in-flight callback
   * finish (or find nothing to move) before the binding is removed, so none can survive the erasure.
   * Shredding the data key makes any copy of the ciphers unreadable, backups included; the fields
   * are nulled as well so the rows say plainly that nothing personal remains.
   */
  private async erase(userId: string, actor: string): Promise<DeletionReceipt> {
    const erasedAt = this.clock();
    const canceled: VerificationRow[] = [];
    const receipt = await this.db.transaction(async (tx) => {
      const open = await verificationRepository.openForUser(tx, userId);
      const moved = open && (await moveVerification(tx, open.id, { to: 'CANCELED', failureCode: 'CANCELED_BY_USER', actor }, erasedAt));
      if (moved) canceled.push(moved);
      const counts = {
        verificationsCanceled: canceled.length,
        verificationsErased: (await personalDataRepository.eraseVerifications(tx, userId)).length,
        consentsErased: (await consentRepository.eraseClientDataOfUser(tx, userId)).length,
        identitiesRemoved: (await identityRepository.deleteForUser(tx, userId)).length,
        faceImagesRemoved: (await faceImageRepository.deleteOfUser(tx, userId)).length,
        dataKeyShredded: await this.vault.shred(tx, userId),
      };
      await appendAudit(tx, { at: erasedAt, actor, action: 'personal_data.erased', subjectUserId: userId, detail: counts });
      return { userId, erasedAt, ...counts };
    });
    // Subscribers see the cancellation; gate caches drop the user's answer.
    for (const row of canceled) await announce(this.bus, this.log, row);
    if (canceled.length === 0) {
      await this.bus.publish('userStatus', undefined, { userId }).catch((error: unknown) => this.log.warn({ err: String(error) }, 'publish failed; state is in the database'));
    }
    return receipt;
  }
}
