import { randomBytes } from 'node:crypto';
import { SANDBOX_MAGIC_NUMBERS, faceSubCode, hasValidCheckDigit, isUnder14 } from './magic-numbers.js';

/** One InitFaceVerify, kept in memory until the process ends. */
export interface CertifySession {
  certifyId: string;
  outerOrderNo: string;
  certName: string;
  certNo: string;
  callbackUrl?: string;
  callbackToken?: string;
  returnUrl?: string;
  createdAt: number;
  result?: { passed: boolean; subCode: string; completedAt: number };
}

export interface ActionContext {
  requestId: string;
  sessions: Map<string, CertifySession>;
  /** Base of CertifyUrl: how browsers reach this sandbox. */
  publicUrl: string;
  now: () => Date;
}

export type CloudauthBody = Record<string, unknown> & { RequestId: string; Code: string };
type Params = ReadonlyMap<string, string>;
type Action = (params: Params, context: ActionContext) => CloudauthBody;

// A 1×1 baseline JPEG: enough for "a face image came back" without shipping a face.
const TINY_JPEG =
  '/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAP//////////////////////////////////////////////////////////////////' +
  '////////////////////wgALCAABAAEBAREA/8QAFBABAAAAAAAAAAAAAAAAAAAAAP/aAAgBAQABPxA=';

export const CLOUDAUTH_ACTIONS: Readonly<Record<string, Action>> = {
  Id2MetaVerify(params, { requestId }) {
    const missing = missingOf(params, ['ParamType', 'IdentifyNum', 'UserName']);
    if (missing) return fail(requestId, '400', `${missing} is mandatory for this action.`);
    if (params.get('ParamType') !== 'normal') return fail(requestId, '400', 'The sandbox supports ParamType normal only.');
    const certNo = params.get('IdentifyNum') ?? '';
    if (!hasValidCheckDigit(certNo)) return fail(requestId, '401', '身份证号格式错误');
    const bizCode =
      certNo === SANDBOX_MAGIC_NUMBERS.NAME_MISMATCH ? '2' : certNo === SANDBOX_MAGIC_NUMBERS.NO_RECORD ? '3' : '1';
    return success(requestId, { BizCode: bizCode });
  },

  InitFaceVerify(params, { requestId, sessions, publicUrl, now }) {
    const missing = missingOf(params, ['SceneId', 'OuterOrderNo', 'ProductCode', 'CertName', 'CertNo']);
    if (missing) return fail(requestId, '400', `${missing} is mandatory for this action.`);
    const problem = sceneProblem(params) ?? initProblem(params);
    if (problem) return fail(requestId, '400', problem);
    const certNo = params.get('CertNo') ?? '';
    if (!hasValidCheckDigit(certNo)) return fail(requestId, '401', '身份证号格式错误');
    if (isUnder14(certNo, now())) return fail(requestId, '405', '未满14周岁');
    if (certNo === SANDBOX_MAGIC_NUMBERS.TOO_MANY_ATTEMPTS) return fail(requestId, '418', '当日认证次数超限');

    const certifyId = randomBytes(16).toString('hex');
    sessions.set(certifyId, {
      certifyId,
      outerOrderNo: params.get('OuterOrderNo') ?? '',
      certName: params.get('CertName') ?? '',
      certNo,
      callbackUrl: params.get('CallbackUrl') || undefined,
      callbackToken: params.get('CallbackToken') || undefined,
      returnUrl: params.get('ReturnUrl') || undefined,
      createdAt: now().getTime(),
    });
    return success(requestId, { CertifyId: certifyId, CertifyUrl: `${publicUrl}/certify/${certifyId}` });
  },

  // Aliyun: 424 when it has no record of the CertifyId, 403 while the user has not finished.
  // The sandbox keeps both, so clients must treat both as pending.
  DescribeFaceVerify(params, { requestId, sessions }) {
    const missing = missingOf(params, ['SceneId', 'CertifyId']);
    if (missing) return fail(requestId, '400', `${missing} is mandatory for this action.`);
    const problem = sceneProblem(params);
    if (problem) return fail(requestId, '400', problem);
    const session = sessions.get(params.get('CertifyId') ?? '');
    if (!session) return fail(requestId, '424', '认证记录不存在');
    if (!session.result) return fail(requestId, '403', '认证未完成');
    const { passed, subCode } = session.result;
    return success(requestId, {
      Passed: passed ? 'T' : 'F',
      SubCode: subCode,
      IdentityInfo: null,
      DeviceToken: null,
      MaterialInfo: JSON.stringify({
        FaceAttack: subCode === '205' ? 'T' : 'F',
        FaceOcclusion: 'F',
        FacialPictureFront: { QualityScore: 88.5, VerifyScore: passed ? 95.5 : 42.1, PictureBase64: TINY_JPEG },
      }),
    });
  },

  CompareFaceVerify: compareLike('PV_FC'),
  ContrastFaceVerify: compareLike('ID_MIN'),
};

/** Records the button the user pressed; the result Describe reports from then on. */
export function completeSession(session: CertifySession, outcome: 'pass' | 'fail', now: Date): void {
  const subCode = faceSubCode(session.certNo, outcome);
  session.result = { passed: subCode === '200', subCode, completedAt: now.getTime() };
}

function compareLike(productCode: string): Action {
  return (params, { requestId }) => {
    const missing = missingOf(params, ['SceneId', 'OuterOrderNo', 'ProductCode']);
    if (missing) return fail(requestId, '400', `${missing} is mandatory for this action.`);
    const problem = sceneProblem(params);
    if (problem) return fail(requestId, '400', problem);
    if (params.get('ProductCode') !== productCode) return fail(requestId, '400', `ProductCode must be ${productCode}.`);
    const certifyId = randomBytes(16).toString('hex');
    return success(requestId, { Passed: 'T', VerifyScore: 95.5, CertifyId: certifyId, MaterialInfo: null });
  };
}

function sceneProblem(params: Params): string | undefined {
  return /^\d+$/.test(params.get('SceneId') ?? '') ? undefined : 'SceneId is invalid.';
}

function initProblem(params: Params): string | undefined {
  if (!/^[A-Za-z0-9]{1,32}$/.test(params.get('OuterOrderNo') ?? '')) return 'OuterOrderNo is invalid.';
  if (params.get('ProductCode') !== 'ID_PRO') return 'ProductCode is invalid.';
  const certType = params.get('CertType');
  if (certType !== undefined && certType !== 'IDENTITY_CARD') return 'CertType is invalid.';
  for (const name of ['CallbackUrl', 'ReturnUrl']) {
    const url = params.get(name);
    if (url && !isHttpUrl(url)) return `${name} is invalid.`;
  }
  return undefined;
}

export function isHttpUrl(text: string): boolean {
  try {
    const { protocol } = new URL(text);
    return protocol === 'http:' || protocol === 'https:';
  } catch {
    return false;
  }
}

function missingOf(params: Params, names: string[]): string | undefined {
  return names.find((name) => !params.get(name));
}

function success(requestId: string, resultObject: Record<string, unknown>): CloudauthBody {
  return { RequestId: requestId, Code: '200', Message: 'success', ResultObject: resultObject };
}

function fail(requestId: string, code: string, message: string): CloudauthBody {
  return { RequestId: requestId, Code: code, Message: message };
}
