import type { Database, Executor } from '../db/database.js';
import { actorLabel, isUserId, type Actor } from '../domain/actor.js';
import { DomainError, ErrorCode } from '../domain/errors.js';
import type { Logger } from '../logger.js';
import type { EventBus } from '../pubsub/event-bus.js';
import { auditRepository } from '../repositories/audit.repository.js';
import { consentRepository } from '../repositories/consent.repository.js';
import { faceImageRepository } from '../repositories/face-image.repository.js';
import { identityRepository } from '../repositories/identity.repository.js';
import { masterKeyRepository } from '../repositories/master-key.repository.js';
import { personalDataRepository } from '../repositories/personal-data.repository.js';
import { reviewRepository } from '../repositories/review.repository.js';
import { verificationRepository, type VerificationRow } from '../repositories/verification.repository.js';
import type { AuditChain, AuditDetail } from './audit-log.js';
import type { PersonalDataLimiter } from './personal-data-limits.js';
import { announce, moveVerification } from './transitions.js';
import type { PersonalDataVault } from './vault.js';
import type { WebhookOutbox } from './webhook-outbox.js';

export interface PersonalDataExport {
  userId: string;
  exportedAt: Date;
  verifications: {
    id: string;
    status: string;
    mode: string;
    documentType: string;
    realName: string | null;
    idCardNumber: string | null;
    failureCode: string | null;
    consentId: string | null;
    createdAt: Date;
    updatedAt: Date;
    expiresAt: Date;
    completedAt: Date | null;
  }[];
  consents: { id: string; version: string; biometric: boolean; purpose: string; acceptedAt: Date; clientIp: string | null; userAgent: string | null }[];
  /** Manual reviews asked for, each with the user's own note; `failedVerificationId` null for a document review. */
  reviewCases: { id: string; status: string; failedVerificationId: string | null; verificationId: string; note: string | null; createdAt: Date; decidedAt: Date | null; decisionReason: string | null }[];
  identity: { verificationId: string; verifiedAt: Date; expiresAt: Date; faceCheckedAt: Date | null } | null;
  faceImages: { verificationId: string; createdAt: Date; purgeAfter: Date; imageBase64: string | null }[];
  auditEvents: { seq: string; at: Date; actor: string; action: string; verificationId: string | null; detail: AuditDetail }[];
}

export interface DeletionReceipt {
  userId: string;
  erasedAt: Date;
  /** The data key left the live database: every live copy of the ciphers is unreadable from erasedAt. */
  dataKeyShredded: boolean;
  liveCopiesUnreadableAt: Date;
  /** Master key versions under which a backup may still hold this user's data key (none once retired). */
  backupKeyVersions: number[];
  /** The earliest those versions can be retired: BACKUP_RETENTION_DAYS from now, after a rotation. */
  backupsUnreadableFrom: Date | null;
  /** What holds and from when, in words for the user. */
  notice: string;
  verificationsCanceled: number;
  verificationsErased: number;
  consentsErased: number;
  identitiesRemoved: number;
  faceImagesRemoved: number;
}

/** What the receipt may promise of backups: how long they are kept, which master key versions are configured. */
export interface BackupPolicy {
  retentionDays: number;
  masterKeyVersions: readonly number[];
}

export interface PersonalDataServiceDeps {
  db: Database;
  vault: PersonalDataVault;
  bus: EventBus;
  audit: AuditChain;
  outbox: WebhookOutbox;
  clock: () => Date;
  log: Logger;
  backups: BackupPolicy;
  limit?: PersonalDataLimiter;
}

const DAY_MS = 86_400_000;
const beijingDate = (at: Date) => new Date(at.getTime() + 8 * 3_600_000).toISOString().slice(0, 10);

/** The data subject's rights (PIPL Art. 45 and 47): a copy of everything held, and erasure. */
export class PersonalDataService {
  private readonly db;
  private readonly vault;
  private readonly bus;
  private readonly audit;
  private readonly outbox;
  private readonly clock;
  private readonly log;
  private readonly backups;
  private readonly limit;

  constructor(deps: PersonalDataServiceDeps) {
    ({ db: this.db, vault: this.vault, bus: this.bus, audit: this.audit, outbox: this.outbox, clock: this.clock, log: this.log, backups: this.backups } = deps);
    this.limit = deps.limit ?? (async () => {});
  }

  /** Decrypted for the user alone: a service token may read a status, never this. */
  async export(actor: Actor): Promise<PersonalDataExport> {
    if (actor.kind !== 'user') throw new DomainError(ErrorCode.FORBIDDEN, '个人信息副本仅限本人获取');
    const { userId } = actor;
    await this.limit(userId, 'export');
    const [verifications, consents, cases, identity, images, events] = await Promise.all([
      verificationRepository.allForUser(this.db, userId),
      consentRepository.allForUser(this.db, userId),
      reviewRepository.allForUser(this.db, userId),
      identityRepository.byUser(this.db, userId),
      faceImageRepository.ofUser(this.db, userId),
      auditRepository.forUser(this.db, userId),
    ]);
    const applicants = await this.vault.openApplicants(userId, verifications);
    const notes = await this.vault.openText(
      userId,
      cases.map((c) => ({ aad: { table: 'review_cases', column: 'note_cipher', rowId: c.id }, sealed: c.noteCipher })),
    );
    const faceImages = await Promise.all(
      images.map(async (image) => {
        const bytes = await this.vault.openFaceImage(userId, image.verificationId, image.imageCipher);
        return { verificationId: image.verificationId, createdAt: image.createdAt, purgeAfter: image.purgeAfter, imageBase64: bytes?.toString('base64') ?? null };
      }),
    );
    const exportedAt = this.clock();
    await this.db.transaction((tx) => this.audit.append(tx, { at: exportedAt, actor: actorLabel(actor), action: 'personal_data.exported', subjectUserId: userId }));
    return {
      userId,
      exportedAt,
      verifications: verifications.map((v, i) => ({
        id: v.id,
        status: v.status,
        mode: v.mode,
        documentType: v.documentType,
        realName: applicants[i]!.realName,
        idCardNumber: applicants[i]!.idCardNumber,
        failureCode: v.failureCode,
        consentId: v.consentId,
        createdAt: v.createdAt,
        updatedAt: v.updatedAt,
        expiresAt: v.expiresAt,
        completedAt: v.completedAt,
      })),
      consents: consents.map(({ id, version, biometric, purpose, acceptedAt, clientIp, userAgent }) => ({ id, version, biometric, purpose, acceptedAt, clientIp, userAgent })),
      reviewCases: cases.map((c, i) => ({
        id: c.id,
        status: c.status,
        failedVerificationId: c.failedVerificationId,
        verificationId: c.verificationId,
        note: notes[i] ?? null,
        createdAt: c.createdAt,
        decidedAt: c.decidedAt,
        decisionReason: c.decisionReason,
      })),
      identity: identity ? { verificationId: identity.verificationId, verifiedAt: identity.verifiedAt, expiresAt: identity.expiresAt, faceCheckedAt: identity.faceCheckedAt } : null,
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
   * Shredding the data key makes every live copy of the ciphers unreadable; the fields are nulled as
   * well so the rows say plainly that nothing personal remains. A backup still holds the wrapped
   * data key: the receipt names the master key versions that may open it and when they can be
   * retired at the earliest.
   */
  private async erase(userId: string, actor: string): Promise<DeletionReceipt> {
    const erasedAt = this.clock();
    const canceled: VerificationRow[] = [];
    const receipt = await this.db.transaction(async (tx) => {
      const open = await verificationRepository.openForUser(tx, userId);
      const moved = open && (await moveVerification(this.audit, tx, open.id, { to: 'CANCELED', failureCode: 'CANCELED_BY_USER', actor }, erasedAt));
      if (moved) canceled.push(moved);
      await this.outbox.recordRevocations(tx, [userId], 'ERASED', erasedAt);
      const counts = {
        verificationsCanceled: canceled.length,
        verificationsErased: (await personalDataRepository.eraseVerifications(tx, userId)).length,
        consentsErased: (await consentRepository.eraseClientDataOfUser(tx, userId)).length,
        identitiesRemoved: (await identityRepository.deleteForUser(tx, userId)).length,
        faceImagesRemoved: (await faceImageRepository.deleteOfUser(tx, userId)).length,
      };
      const keyVersion = await this.vault.shred(tx, userId);
      const backups = keyVersion === undefined ? undefined : await this.backupsOf(tx, keyVersion, erasedAt);
      const dataKeyShredded = keyVersion !== undefined;
      await this.audit.append(tx, { at: erasedAt, actor, action: 'personal_data.erased', subjectUserId: userId, detail: { ...counts, dataKeyShredded } });
      return {
        userId,
        erasedAt,
        ...counts,
        dataKeyShredded,
        liveCopiesUnreadableAt: erasedAt,
        backupKeyVersions: backups?.versions ?? [],
        backupsUnreadableFrom: backups?.from ?? null,
        notice: receiptNotice(erasedAt, backups, this.backups.retentionDays),
      };
    });
    // Subscribers see the cancellation; gate caches drop the user's answer.
    for (const row of canceled) await announce(this.bus, this.log, row);
    if (canceled.length === 0) {
      await this.bus.publish('userStatus', undefined, { userId }).catch((error: unknown) => this.log.warn({ err: String(error) }, 'publish failed; state is in the database'));
    }
    return receipt;
  }

  /**
   * Backups taken until now hold the data key wrapped by `keyVersion`, and older ones by any older
   * version it was rotated from: each configured version up to it, less those already retired.
   */
  private async backupsOf(tx: Executor, keyVersion: number, erasedAt: Date) {
    const retired = new Set((await masterKeyRepository.retired(tx)).map((row) => row.version));
    const versions = [...new Set([...this.backups.masterKeyVersions.filter((v) => v <= keyVersion), keyVersion])].filter((v) => !retired.has(v)).sort((a, b) => a - b);
    return { versions, from: new Date(erasedAt.getTime() + this.backups.retentionDays * DAY_MS) };
  }
}

function receiptNotice(erasedAt: Date, backups: { versions: number[]; from: Date } | undefined, retentionDays: number): string {
  if (!backups) return `未找到您的数据密钥:在线系统中已没有可解密的您的个人信息(${beijingDate(erasedAt)})。`;
  const live = `您的数据密钥已于 ${beijingDate(erasedAt)} 删除,在线系统中的全部副本自此无法解密。`;
  if (backups.versions.length === 0) return `${live}封装该密钥的主密钥版本均已停用销毁,备份中的副本同样无法解密。`;
  const names = backups.versions.map((v) => `v${v}`).join('、');
  return `${live}数据备份最长保留 ${retentionDays} 天,其中的副本仍以主密钥 ${names} 封装;这些主密钥版本最早于 ${beijingDate(backups.from)} 停用销毁,此后备份中的副本亦无法解密。`;
}
