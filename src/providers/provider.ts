import type { DocumentType } from '../domain/documents.js';
import type { FailureCode } from '../domain/verification-status.js';

/**
 * What the verification flow needs from 实人认证, whoever answers: Aliyun cloudauth in LIVE mode,
 * the built-in emulator in SANDBOX mode. Both speak the same wire (API 2019-03-07), so the only
 * difference between them is the endpoint and the keys.
 */
export type ProviderMode = 'LIVE' | 'SANDBOX';

/** Id2MetaVerify's ResultObject.BizCode: 1 match, 2 mismatch, 3 no record. */
export type IdentityMatch = 'MATCH' | 'MISMATCH' | 'NO_RECORD';

export interface InitFaceVerifyInput {
  outerOrderNo: string;
  name: string;
  idCardNumber: string;
  /** Absent: the resident ID card. */
  documentType?: DocumentType;
  /** Where Aliyun calls back: our own URL, with no query of ours (Aliyun appends its fields). */
  callbackUrl: string;
  /** Per-verification secret, sent as `CallbackToken` and echoed by Aliyun as its own callback field. */
  callbackToken: string;
  returnUrl: string;
  /** From `getMetaInfo()` of Aliyun's script on the user's page; required by Aliyun. */
  metaInfo?: string;
  /** The user's IP, InitFaceVerify's optional `Ip`. */
  ip?: string;
  /** 适老化模式, asked for by the user: InitFaceVerify's `SuitableType`. */
  elderlyMode?: boolean;
}

/** ContrastFaceVerify (`ID_MIN`): a face the client captured itself, compared at once. */
export interface FaceCaptureInput {
  outerOrderNo: string;
  name: string;
  idCardNumber: string;
  documentType?: DocumentType;
  /** JPEG or PNG bytes. */
  image: Buffer;
  ip?: string;
}

export interface FaceVerifySession {
  certifyId: string;
  certifyUrl: string;
}

/**
 * A domain outcome: a failure carries our FailureCode; `subCode` is the provider's own code, kept
 * only for the audit trail.
 */
export type FaceVerifyOutcome =
  | { state: 'PENDING' }
  | { state: 'DONE'; passed: true; subCode: string; faceImage?: Buffer }
  | { state: 'DONE'; passed: false; subCode: string; failureCode: FailureCode };

export interface FaceVerifyProvider {
  readonly mode: ProviderMode;
  checkIdentity(name: string, idCardNumber: string): Promise<IdentityMatch>;
  initFaceVerify(input: InitFaceVerifyInput): Promise<FaceVerifySession>;
  describeFaceVerify(certifyId: string): Promise<FaceVerifyOutcome>;
  /** Never PENDING: ContrastFaceVerify answers at once. */
  contrastFaceVerify(input: FaceCaptureInput): Promise<Extract<FaceVerifyOutcome, { state: 'DONE' }> & { certifyId: string }>;
}

/**
 * `rejected`: the provider answered and refused this request with a final answer, given as our
 * `failureCode`: retrying will not help. `misconfigured`: the provider refused what *we* sent
 * (a missing or bad parameter, an unknown scene): our fault, never the user's. `unavailable`: we
 * could not get a trustworthy answer (timeout, 5xx, Code 500, bad signature, malformed body, open
 * circuit). The message never holds the request URL, parameters or the provider's raw text.
 */
export class ProviderError extends Error {
  constructor(
    readonly kind: 'rejected' | 'misconfigured' | 'unavailable',
    readonly providerCode: string,
    message: string,
    readonly failureCode: FailureCode = 'PROVIDER_REJECTED',
  ) {
    super(message);
    this.name = 'ProviderError';
  }
}
