import { randomBytes } from 'node:crypto';
import { faceImageTypeOf } from '../../domain/face-image.js';
import { captureSubCode } from './magic-images.js';
import { isMetaInfo } from './meta-info.js';
import { LIVENESS_MODELS, SUITABLE_TYPES } from '../liveness.js';
import { SANDBOX_MAGIC_NUMBERS, SOURCE_LOST_SUBCODES, faceSubCode, hasValidCheckDigit, identityBizCode } from './magic-numbers.js';

/** One InitFaceVerify, kept in memory until the process ends. */
export interface CertifySession {
  certifyId: string;
  outerOrderNo: string;
  certName: string;
  certNo: string;
  model: string;
  /** InitFaceVerify's SuitableType when sent: the elderly-friendly mode. */
  suitableType?: string;
  ip?: string;
  callbackUrl?: string;
  callbackToken?: string;
  returnUrl?: string;
  createdAt: number;
  result?: { passed: boolean; subCode: string; completedAt: number };
}

export interface ActionContext {
  requestId: string;
  sessions: Map<string, CertifySession>;
  /** Numbers whose session ended 201/202/203: Aliyun has no comparison source for them any more. */
  sourceLost: Set<string>;
  /** Base of CertifyUrl and picture URLs: how browsers and the service reach this sandbox. */
  publicUrl: string;
  /** Off by default, as Aliyun; only a local run whose service has no https address turns it on. */
  allowHttpCallbacks: boolean;
  now: () => Date;
}

export type CloudauthBody = Record<string, unknown> & { RequestId: string; Code: string };
type Params = ReadonlyMap<string, string>;
type Action = (params: Params, context: ActionContext) => CloudauthBody;

const MODELS: ReadonlySet<string> = new Set(LIVENESS_MODELS);
const SUITABLE: ReadonlySet<string> = new Set(SUITABLE_TYPES);

export const CLOUDAUTH_ACTIONS: Readonly<Record<string, Action>> = {
  Id2MetaVerify(params, { requestId }) {
    const missing = missingOf(params, ['ParamType', 'IdentifyNum', 'UserName']);
    if (missing) return fail(requestId, '400', `${missing} is mandatory for this action.`);
    if (params.get('ParamType') !== 'normal') return fail(requestId, '401', 'The sandbox supports ParamType normal only.');
    const problem = identityProblem(params.get('UserName'), params.get('IdentifyNum'));
    if (problem) return fail(requestId, '401', problem);
    const certNo = params.get('IdentifyNum') ?? '';
    // Id2MetaVerify, Code 403: 重复调用次数过多 — a final answer for today.
    if (certNo === SANDBOX_MAGIC_NUMBERS.TOO_MANY_REPEATED_CALLS) return fail(requestId, '403', '重复调用次数过多');
    return success(requestId, { BizCode: identityBizCode(certNo) });
  },

  InitFaceVerify(params, context) {
    const { requestId, sessions, publicUrl, now } = context;
    // Required (InitFaceVerify, 金融级实人认证): SceneId, OuterOrderNo, ProductCode, CertType, CertName,
    // CertNo, MetaInfo — "MetaInfo环境参数。实际环境需要通过JS文件,调用函数getMetaInfo()获取".
    const missing = missingOf(params, ['SceneId', 'OuterOrderNo', 'ProductCode', 'CertType', 'CertName', 'CertNo', 'MetaInfo']);
    if (missing) return fail(requestId, '400', `${missing} is mandatory for this action.`);
    const problem =
      sceneProblem(params) ?? initProblem(params, context) ?? identityProblem(params.get('CertName'), params.get('CertNo'));
    if (problem) return fail(requestId, '401', problem);
    const certNo = params.get('CertNo') ?? '';
    if (certNo === SANDBOX_MAGIC_NUMBERS.TOO_MANY_ATTEMPTS) return fail(requestId, '418', '当日认证次数超限');
    // Code 417: no comparison source for this identity — e.g. after SubCode 201/202/203 for it.
    if (certNo === SANDBOX_MAGIC_NUMBERS.NO_COMPARISON_SOURCE || context.sourceLost.has(certNo)) {
      return fail(requestId, '417', '无比对源');
    }

    const certifyId = randomBytes(16).toString('hex');
    sessions.set(certifyId, {
      certifyId,
      outerOrderNo: params.get('OuterOrderNo') ?? '',
      certName: params.get('CertName') ?? '',
      certNo,
      model: params.get('Model') || 'LIVENESS',
      suitableType: params.get('SuitableType') || undefined,
      ip: params.get('Ip') || undefined,
      callbackUrl: params.get('CallbackUrl') || undefined,
      callbackToken: params.get('CallbackToken') || undefined,
      returnUrl: params.get('ReturnUrl') || undefined,
      createdAt: now().getTime(),
    });
    return success(requestId, { CertifyId: certifyId, CertifyUrl: `${publicUrl}/certify/${certifyId}` });
  },

  // DescribeFaceVerify: Code 424 while the session is not finished (pending, abandoned, never
  // started), 406 for a CertifyId Aliyun never issued, 427 when its risk policy refuses an answer.
  DescribeFaceVerify(params, { requestId, sessions, publicUrl }) {
    const missing = missingOf(params, ['SceneId', 'CertifyId']);
    if (missing) return fail(requestId, '400', `${missing} is mandatory for this action.`);
    const problem = sceneProblem(params);
    if (problem) return fail(requestId, '401', problem);
    const certifyId = params.get('CertifyId') ?? '';
    const session = sessions.get(certifyId);
    if (!session) return fail(requestId, '406', '无效的CertifyId');
    if (!session.result) return fail(requestId, '424', '认证未完成');
    if (session.certNo === SANDBOX_MAGIC_NUMBERS.RISK_POLICY) return fail(requestId, '427', '风控策略拦截');
    const { passed, subCode } = session.result;
    return success(requestId, {
      Passed: passed ? 'T' : 'F',
      SubCode: subCode,
      IdentityInfo: null,
      DeviceToken: null,
      // ResultObject.MaterialInfo is a JSON string with camelCase keys:
      // {"faceAttack":"F","facialPictureFront":{"qualityScore":…,"verifyScore":…,"pictureUrl":…,"ossObjectName":…}}
      MaterialInfo: JSON.stringify({
        faceAttack: subCode === '205' ? 'T' : 'F',
        faceOcclusion: 'F',
        facialPictureFront: {
          qualityScore: 88.5,
          verifyScore: passed ? 95.5 : 42.1,
          pictureUrl: `${publicUrl}/materials/${certifyId}/facialPictureFront.jpg`,
          ossObjectName: `verify/sandbox/${certifyId}/facialPictureFront.jpg`,
        },
      }),
    });
  },

  CompareFaceVerify: compareLike('PV_FC'),

  // ContrastFaceVerify (ProductCode ID_MIN): the server hands over a face it captured itself, with the
  // name and number; the answer comes at once, no certify page and no callback.
  ContrastFaceVerify(params, context) {
    const { requestId } = context;
    const missing = missingOf(params, ['SceneId', 'OuterOrderNo', 'ProductCode', 'CertType', 'CertName', 'CertNo']);
    if (missing) return fail(requestId, '400', `${missing} is mandatory for this action.`);
    if (!params.get('FaceContrastPicture') && !params.get('FaceContrastPictureUrl') && !params.get('OssObjectName')) {
      return fail(requestId, '400', 'FaceContrastPicture is mandatory for this action.');
    }
    if (params.get('ProductCode') !== 'ID_MIN') return fail(requestId, '401', 'ProductCode is invalid.');
    const problem =
      sceneProblem(params) ?? orderProblem(params) ?? identityProblem(params.get('CertName'), params.get('CertNo'));
    if (problem) return fail(requestId, '401', problem);
    // The sandbox takes the picture inline only; the URL and OSS forms need Aliyun's storage.
    const picture = Buffer.from(params.get('FaceContrastPicture') ?? '', 'base64');
    if (!faceImageTypeOf(picture)) return fail(requestId, '401', 'FaceContrastPicture is invalid.');
    const certNo = params.get('CertNo') ?? '';
    if (certNo === SANDBOX_MAGIC_NUMBERS.TOO_MANY_ATTEMPTS) return fail(requestId, '418', '当日认证次数超限');
    if (certNo === SANDBOX_MAGIC_NUMBERS.NO_COMPARISON_SOURCE || context.sourceLost.has(certNo)) {
      return fail(requestId, '417', '无比对源');
    }
    const identitySubCode = faceSubCode(certNo, 'pass');
    const subCode = identitySubCode !== '200' ? identitySubCode : captureSubCode(picture);
    if (SOURCE_LOST_SUBCODES.has(subCode)) context.sourceLost.add(certNo);
    const passed = subCode === '200';
    return success(requestId, {
      CertifyId: randomBytes(16).toString('hex'),
      Passed: passed ? 'T' : 'F',
      SubCode: subCode,
      MaterialInfo: JSON.stringify({
        faceAttack: subCode === '205' ? 'T' : 'F',
        facialPictureFront: { qualityScore: 88.5, verifyScore: passed ? 95.5 : 42.1 },
      }),
    });
  },
};

/** Records the button the user pressed; the result Describe reports from then on. */
export function completeSession(session: CertifySession, outcome: 'pass' | 'fail', now: Date, sourceLost: Set<string>): void {
  const subCode = faceSubCode(session.certNo, outcome);
  if (SOURCE_LOST_SUBCODES.has(subCode)) sourceLost.add(session.certNo);
  session.result = { passed: subCode === '200', subCode, completedAt: now.getTime() };
}

function compareLike(productCode: string): Action {
  return (params, { requestId }) => {
    const missing = missingOf(params, ['SceneId', 'OuterOrderNo', 'ProductCode']);
    if (missing) return fail(requestId, '400', `${missing} is mandatory for this action.`);
    const problem = sceneProblem(params);
    if (problem) return fail(requestId, '401', problem);
    if (params.get('ProductCode') !== productCode) return fail(requestId, '401', `ProductCode must be ${productCode}.`);
    const certifyId = randomBytes(16).toString('hex');
    return success(requestId, { Passed: 'T', VerifyScore: 95.5, CertifyId: certifyId, MaterialInfo: null });
  };
}

function sceneProblem(params: Params): string | undefined {
  return /^\d+$/.test(params.get('SceneId') ?? '') ? undefined : 'SceneId is invalid.';
}

function orderProblem(params: Params): string | undefined {
  if (!/^[A-Za-z0-9]{1,32}$/.test(params.get('OuterOrderNo') ?? '')) return 'OuterOrderNo is invalid.';
  // CertType: "不同证件类型,取值均为IDENTITY_CARD" (the ID card and both residence permits).
  if (params.get('CertType') !== 'IDENTITY_CARD') return 'CertType is invalid.';
  return undefined;
}

function initProblem(params: Params, { allowHttpCallbacks }: ActionContext): string | undefined {
  const order = orderProblem(params);
  if (order) return order;
  if (params.get('ProductCode') !== 'ID_PRO') return 'ProductCode is invalid.';
  if (!isMetaInfo(params.get('MetaInfo') ?? '')) return 'MetaInfo is invalid.';
  const model = params.get('Model');
  if (model && !MODELS.has(model)) return 'Model is invalid.';
  const suitableType = params.get('SuitableType');
  if (suitableType && !SUITABLE.has(suitableType)) return 'SuitableType is invalid.';
  const returnUrl = params.get('ReturnUrl');
  if (returnUrl && !isHttpUrl(returnUrl)) return 'ReturnUrl is invalid.';
  // CallbackUrl: "认证结果的回调通知地址，必须以`https`开头" — Aliyun answers 401 otherwise.
  const callbackUrl = params.get('CallbackUrl');
  if (callbackUrl && !(isHttpsUrl(callbackUrl) || (allowHttpCallbacks && isHttpUrl(callbackUrl)))) return 'CallbackUrl is invalid.';
  return undefined;
}

/** Checksum-invalid numbers and names in Latin letters: Aliyun refuses both as bad parameters. */
function identityProblem(name: string | undefined, certNo: string | undefined): string | undefined {
  if (/[A-Za-z]/.test(name ?? '')) return '姓名格式错误';
  if (!hasValidCheckDigit(certNo ?? '')) return '身份证号格式错误';
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

function isHttpsUrl(text: string): boolean {
  try {
    return new URL(text).protocol === 'https:';
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
