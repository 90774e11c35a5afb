import { faceImageTypeOf } from '../domain/face-image.js';
import type { Actor } from '../domain/actor.js';
import type { RequestMeta } from '../domain/application.js';
import { isDocumentType } from '../domain/documents.js';
import { DomainError, ErrorCode } from '../domain/errors.js';
import { isTerminal } from '../domain/verification-status.js';
import type { Logger } from '../logger.js';
import { ProviderError, type FaceVerifyOutcome, type FaceVerifyProvider } from '../providers/provider.js';
import type { VerificationRow } from '../repositories/verification.repository.js';
import type { VerificationResultService } from './verification-result.service.js';
import type { VerificationService } from './verification.service.js';
import type { PersonalDataVault } from './vault.js';

/** Aliyun asks for face photos under 1 MB (InitFaceVerify/ContrastFaceVerify image requirements). */
export const MAX_FACE_CAPTURE_BYTES = 1024 * 1024;

export interface FaceCaptureServiceDeps {
  verifications: VerificationService;
  results: VerificationResultService;
  provider: FaceVerifyProvider;
  vault: PersonalDataVault;
  publicBaseUrl: string;
  clock: () => Date;
  log: Logger;
}

/** A verification started with `startFaceCapture`: no certify page, it waits for the client's own photo. */
export const awaitsCapture = (row: Pick<VerificationRow, 'status' | 'certifyUrl' | 'certifyId'>) =>
  row.status === 'PENDING' && row.certifyUrl === null && row.certifyId === null;

/**
 * The WeChat mini-program path. Aliyun documents no WeChat integration and warns that its H5 page
 * meets "无法避免的兼容性问题" inside WeChat, pointing to its pure server API: the mini-program
 * takes the photo with its own camera and we call ContrastFaceVerify (ID_MIN) with the name, the
 * number and that photo. The answer comes at once and settles the verification exactly as a
 * DescribeFaceVerify result does: same record, audit trail, identity binding and subscription.
 */
export class FaceCaptureService {
  private readonly inFlight = new Map<string, Promise<VerificationRow>>();

  constructor(private readonly deps: FaceCaptureServiceDeps) {}

  uploadUrlOf(verificationId: string): string {
    return `${this.deps.publicBaseUrl}/face-captures/${verificationId}`;
  }

  /** The photo is checked by its bytes, never logged, and kept (encrypted) only under the retention setting. */
  async submit(actor: Actor, verificationId: string, image: Buffer, meta: RequestMeta): Promise<VerificationRow> {
    if (actor.kind !== 'user') throw new DomainError(ErrorCode.FORBIDDEN, '只有本人可以提交人脸照片');
    const row = await this.deps.verifications.get(actor, verificationId);
    if (!row || row.userId !== actor.userId) throw new DomainError(ErrorCode.NOT_FOUND);
    if (isTerminal(row.status)) return row;
    if (!awaitsCapture(row)) throw new DomainError(ErrorCode.BAD_USER_INPUT, '该认证不接受上传照片,请在认证页面完成刷脸');
    if (row.expiresAt <= this.deps.clock()) throw new DomainError(ErrorCode.BAD_USER_INPUT, '认证已过期,请重新发起认证');
    if (image.length === 0 || image.length > MAX_FACE_CAPTURE_BYTES || !faceImageTypeOf(image)) {
      throw new DomainError(ErrorCode.BAD_USER_INPUT, '请上传 1 MB 以内的 JPEG 或 PNG 人脸照片');
    }
    // A double tap on this replica makes one comparison (each is billed), not two.
    const running = this.inFlight.get(row.id);
    if (running) return running;
    const attempt = this.compare(row, image, meta).finally(() => this.inFlight.delete(row.id));
    this.inFlight.set(row.id, attempt);
    return attempt;
  }

  private async compare(row: VerificationRow, image: Buffer, meta: RequestMeta): Promise<VerificationRow> {
    const [applicant] = await this.deps.vault.openApplicants(row.userId, [row]);
    if (!applicant?.realName || !applicant.idCardNumber) throw new DomainError(ErrorCode.NOT_FOUND);
    // Only a start records a capture, and a start takes only documents Aliyun verifies.
    const documentType = row.documentType;
    if (!isDocumentType(documentType)) throw new DomainError(ErrorCode.BAD_USER_INPUT, '该认证不接受上传照片');
    let outcome: Extract<FaceVerifyOutcome, { state: 'DONE' }>;
    try {
      outcome = await this.deps.provider.contrastFaceVerify({
        outerOrderNo: row.outerOrderNo,
        name: applicant.realName,
        idCardNumber: applicant.idCardNumber,
        documentType,
        image,
        ip: meta.clientIp,
      });
    } catch (error) {
      if (!(error instanceof ProviderError)) throw error;
      if (error.kind === 'rejected') {
        outcome = { state: 'DONE', passed: false, subCode: error.providerCode, failureCode: error.failureCode };
      } else {
        if (error.kind === 'misconfigured') this.deps.log.error({ providerCode: error.providerCode, problem: error.message }, 'provider refused our request: check the Aliyun configuration');
        else this.deps.log.warn({ providerCode: error.providerCode }, 'provider unavailable during face capture');
        // Nothing moved: the same photo may be sent again.
        throw new DomainError(ErrorCode.PROVIDER_UNAVAILABLE);
      }
    }
    return this.deps.results.settleCapture(row, outcome.passed ? { ...outcome, faceImage: image } : outcome);
  }
}
