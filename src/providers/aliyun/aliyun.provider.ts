import RPCClient from '@alicloud/pop-core';
import {
  BrokenCircuitError,
  ConsecutiveBreaker,
  ExponentialBackoff,
  TaskCancelledError,
  TimeoutStrategy,
  circuitBreaker,
  handleWhen,
  retry,
  timeout,
  wrap,
  type IPolicy,
} from 'cockatiel';
import type { DocumentType } from '../../domain/documents.js';
import type { FailureCode } from '../../domain/verification-status.js';
import {
  ProviderError,
  type FaceCaptureInput,
  type FaceVerifyOutcome,
  type FaceVerifyProvider,
  type FaceVerifySession,
  type IdentityMatch,
  type InitFaceVerifyInput,
  type ProviderMode,
} from '../provider.js';
import { configurationProblemOf, failureOfSubCode, finalFailureOf, type CloudauthAction } from './subcodes.js';
import { fetchFacePicture } from './face-picture.js';
import { DEFAULT_LIVENESS_MODEL, SUITABLE_TYPE_ELDERLY, type LivenessModel } from '../liveness.js';

export interface AliyunProviderOptions {
  mode: ProviderMode;
  accessKeyId: string;
  accessKeySecret: string;
  sceneId: string;
  /** Primary first, then failover: `https://cloudauth.cn-shanghai.aliyuncs.com`, `…cn-beijing…`. */
  endpoints: string[];
  /** Per attempt. */
  timeoutMs: number;
  logger?: { warn(obj: object, msg: string): void };
  /** Defaults: open after 5 consecutive failures, try again after 10 s. */
  breaker?: { consecutiveFailures?: number; halfOpenAfterMs?: number };
  retryDelayMs?: number;
  /** InitFaceVerify's `Model` (ALIYUN_LIVENESS_MODEL); see liveness.ts for Aliyun's values. */
  model?: LivenessModel;
  /** Fetch `facialPictureFront.pictureUrl` after a pass: only when face images are kept at all. */
  fetchFaceImages?: boolean;
  /**
   * SANDBOX only: MetaInfo to send when a client gave none, built as the emulator's own
   * `getMetaInfo()` builds it. LIVE never invents one (Aliyun gives no CertifyUrl without a real one).
   */
  fallbackMetaInfo?: () => string;
}

const API_VERSION = '2019-03-07';

interface CloudauthResponse {
  RequestId?: string;
  Code?: string | number;
  Message?: string;
  ResultObject?: Record<string, unknown> | null;
}

/**
 * An endpoint failed us. `mayHaveTakenEffect` is false only when we know Aliyun did nothing
 * (connection refused, open circuit, an explicit error answer): InitFaceVerify fails over only then.
 */
class EndpointFailure extends ProviderError {
  constructor(
    action: string,
    code: string,
    readonly mayHaveTakenEffect: boolean,
  ) {
    super('unavailable', code, `cloudauth ${action} unavailable (${code})`);
  }
}

interface Endpoint {
  host: string;
  client: RPCClient;
  reads: IPolicy;
  writes: IPolicy;
}

/**
 * The cloudauth client for both LIVE (Aliyun) and SANDBOX (the emulator): only endpoints and keys differ.
 *
 * @example
 * const provider = createAliyunProvider({ mode: 'LIVE', accessKeyId, accessKeySecret, sceneId,
 *   endpoints: ['https://cloudauth.cn-shanghai.aliyuncs.com', 'https://cloudauth.cn-beijing.aliyuncs.com'],
 *   timeoutMs: 5000 });
 * const match = await provider.checkIdentity('张三', idCardNumber); // 'MATCH' | 'MISMATCH' | 'NO_RECORD'
 */
export function createAliyunProvider(options: AliyunProviderOptions): FaceVerifyProvider {
  const endpoints = options.endpoints.map((url) => createEndpoint(url, options));

  // Reads retry once, then fail over. InitFaceVerify is never retried on the same endpoint: after a
  // timeout or a garbled answer a session may exist, and a second one would be a second charge and a
  // second certifyUrl. It fails over only when the primary certainly did nothing.
  async function call<T>(
    action: CloudauthAction,
    params: Record<string, string>,
    parse: (response: CloudauthResponse) => T,
    idempotent: boolean,
  ): Promise<T> {
    let failure: EndpointFailure | undefined;
    for (const [index, endpoint] of endpoints.entries()) {
      const policy = idempotent ? endpoint.reads : endpoint.writes;
      try {
        // A fresh signal per call: cockatiel would otherwise hang every timeout listener on one shared signal.
        return await policy.execute(async () => parse(await send(endpoint.client, action, params, options.timeoutMs)), new AbortController().signal);
      } catch (error) {
        if (error instanceof ProviderError && error.kind !== 'unavailable') throw error;
        failure = asEndpointFailure(action, error);
        const next = endpoints[index + 1];
        if (!next || (!idempotent && failure.mayHaveTakenEffect)) break;
        options.logger?.warn(
          { action, endpoint: endpoint.host, failover: next.host, providerCode: failure.providerCode },
          'cloudauth endpoint unavailable, failing over',
        );
      }
    }
    const code = failure?.providerCode ?? 'NO_ENDPOINT';
    throw new ProviderError('unavailable', code, `cloudauth ${action} unavailable (${code})`);
  }

  return {
    mode: options.mode,

    checkIdentity(name, idCardNumber) {
      const params = { ParamType: 'normal', IdentifyNum: idCardNumber, UserName: name };
      return call('Id2MetaVerify', params, (response) => identityMatchOf(resultOf('Id2MetaVerify', response)), true);
    },

    initFaceVerify(input: InitFaceVerifyInput) {
      // InitFaceVerify, MetaInfo (required): "MetaInfo环境参数。实际环境需要通过JS文件,调用函数
      // getMetaInfo()获取" — never invented in LIVE.
      const metaInfo = input.metaInfo ?? options.fallbackMetaInfo?.();
      if (!metaInfo) return Promise.reject(new ProviderError('misconfigured', 'NO_META_INFO', 'InitFaceVerify needs MetaInfo from getMetaInfo()'));
      const params: Record<string, string> = {
        SceneId: options.sceneId,
        OuterOrderNo: input.outerOrderNo,
        ProductCode: 'ID_PRO',
        CertType: certTypeOf(input.documentType),
        CertName: input.name,
        CertNo: input.idCardNumber,
        MetaInfo: metaInfo,
        Model: options.model ?? DEFAULT_LIVENESS_MODEL,
        ReturnUrl: input.returnUrl,
        // Aliyun (InitFaceVerify, CallbackToken): "安全Token，用于防重复、防篡改校验。如果传入该参数会在
        // 回调地址显示CallbackToken字段" — it comes back as its own field, so CallbackUrl carries no query of ours.
        CallbackUrl: input.callbackUrl,
        CallbackToken: input.callbackToken,
      };
      if (input.ip) params.Ip = input.ip;
      if (input.elderlyMode) params.SuitableType = SUITABLE_TYPE_ELDERLY;
      return call('InitFaceVerify', params, (response) => sessionOf(resultOf('InitFaceVerify', response)), false);
    },

    async describeFaceVerify(certifyId) {
      const params = { SceneId: options.sceneId, CertifyId: certifyId };
      const { outcome, pictureUrl } = await call('DescribeFaceVerify', params, describedOutcomeOf, true);
      if (outcome.state !== 'DONE' || !outcome.passed || !pictureUrl || !options.fetchFaceImages) return outcome;
      const faceImage = await fetchFacePicture(pictureUrl, options.timeoutMs);
      if (!faceImage) options.logger?.warn({ action: 'DescribeFaceVerify' }, 'face picture could not be fetched; none kept');
      return faceImage ? { ...outcome, faceImage } : outcome;
    },

    contrastFaceVerify(input: FaceCaptureInput) {
      // ContrastFaceVerify (ProductCode ID_MIN): Aliyun's pure server API, for clients whose own
      // camera took the face (a WeChat mini-program): the photo goes inline as FaceContrastPicture.
      const params: Record<string, string> = {
        SceneId: options.sceneId,
        OuterOrderNo: input.outerOrderNo,
        ProductCode: 'ID_MIN',
        CertType: certTypeOf(input.documentType),
        CertName: input.name,
        CertNo: input.idCardNumber,
        FaceContrastPicture: input.image.toString('base64'),
      };
      if (input.ip) params.Ip = input.ip;
      // A write like InitFaceVerify: each call is a billed comparison, so never retried blindly.
      return call('ContrastFaceVerify', params, contrastOutcomeOf, false);
    },
  };
}

/**
 * InitFaceVerify (金融级实人认证, H5 and App), CertType: "用户证件类型。不同证件类型,取值均为IDENTITY_CARD"
 * — the resident ID card and both residence permits are all sent as IDENTITY_CARD; the number says which.
 */
const CERT_TYPES: Readonly<Record<DocumentType, string>> = {
  RESIDENT_ID_CARD: 'IDENTITY_CARD',
  HK_MACAO_RESIDENCE_PERMIT: 'IDENTITY_CARD',
  TAIWAN_RESIDENCE_PERMIT: 'IDENTITY_CARD',
};
export const certTypeOf = (documentType: DocumentType = 'RESIDENT_ID_CARD'): string => CERT_TYPES[documentType];

function createEndpoint(url: string, options: AliyunProviderOptions): Endpoint {
  const client = new RPCClient({
    endpoint: url,
    apiVersion: API_VERSION,
    accessKeyId: options.accessKeyId,
    accessKeySecret: options.accessKeySecret,
  });
  const isOutage = handleWhen((error) => error instanceof TaskCancelledError || error instanceof EndpointFailure);
  const breaker = circuitBreaker(isOutage, {
    halfOpenAfter: options.breaker?.halfOpenAfterMs ?? 10_000,
    breaker: new ConsecutiveBreaker(options.breaker?.consecutiveFailures ?? 5),
  });
  // Aggressive: pop-core takes no AbortSignal; its own timeout below frees the socket.
  const attemptTimeout = timeout(options.timeoutMs, TimeoutStrategy.Aggressive);
  const retryOnce = retry(isOutage, {
    maxAttempts: 1,
    backoff: new ExponentialBackoff({ initialDelay: options.retryDelayMs ?? 200, maxDelay: 2_000 }),
  });
  return {
    host: new URL(url).host,
    client,
    reads: wrap(retryOnce, breaker, attemptTimeout),
    writes: wrap(breaker, attemptTimeout),
  };
}

/**
 * POST, always: pop-core's default GET puts CertName/CertNo in the URL. pop-core throws for every
 * Code other than 200, with the URL in its message; the body it read is on `error.data`.
 */
async function send(
  client: RPCClient,
  action: string,
  params: Record<string, string>,
  timeoutMs: number,
): Promise<CloudauthResponse> {
  try {
    return await client.request<CloudauthResponse>(action, params, { method: 'POST', timeout: timeoutMs });
  } catch (error) {
    const body = (error as { data?: unknown } | null)?.data;
    if (isCloudauthResponse(body)) return body;
    throw transportFailure(action, error);
  }
}

const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

function transportFailure(action: string, error: unknown): EndpointFailure {
  const { code, name } = (error ?? {}) as { code?: unknown; name?: unknown };
  if (typeof code === 'string' && NOT_SENT.has(code)) return new EndpointFailure(action, 'NETWORK', false);
  if (typeof name === 'string' && name.includes('Timeout')) return new EndpointFailure(action, 'TIMEOUT', true);
  if (error instanceof SyntaxError || name === 'SyntaxError') {
    return new EndpointFailure(action, 'MALFORMED_RESPONSE', true);
  }
  return new EndpointFailure(action, 'NETWORK', true);
}

function asEndpointFailure(action: string, error: unknown): EndpointFailure {
  if (error instanceof EndpointFailure) return error;
  if (error instanceof BrokenCircuitError) return new EndpointFailure(action, 'CIRCUIT_OPEN', false);
  if (error instanceof TaskCancelledError) return new EndpointFailure(action, 'TIMEOUT', true);
  return new EndpointFailure(action, 'INTERNAL', true);
}

function isCloudauthResponse(body: unknown): body is CloudauthResponse {
  if (typeof body !== 'object' || body === null) return false;
  const code = (body as CloudauthResponse).Code;
  return typeof code === 'string' || typeof code === 'number';
}

function codeOf(response: CloudauthResponse): string {
  return response.Code === undefined ? 'MALFORMED_RESPONSE' : String(response.Code);
}

function resultOf(action: CloudauthAction, response: CloudauthResponse): Record<string, unknown> {
  const code = codeOf(response);
  if (code === '200') {
    if (response.ResultObject && typeof response.ResultObject === 'object') return response.ResultObject;
    throw new EndpointFailure(action, 'MALFORMED_RESPONSE', true);
  }
  const failureCode = finalFailureOf(action, code);
  if (failureCode) throw new ProviderError('rejected', code, `cloudauth ${action} refused (${code})`, failureCode);
  const problem = configurationProblemOf(code);
  if (problem) throw new ProviderError('misconfigured', code, `${problem} (${action}, Code ${code})`);
  // Code 500, throttling, signature and key errors: an explicit answer, so nothing was created.
  throw new EndpointFailure(action, code, code === 'MALFORMED_RESPONSE');
}

function identityMatchOf(result: Record<string, unknown>): IdentityMatch {
  switch (String(result.BizCode)) {
    case '1':
      return 'MATCH';
    case '2':
      return 'MISMATCH';
    case '3':
      return 'NO_RECORD';
    default:
      throw new EndpointFailure('Id2MetaVerify', 'MALFORMED_RESPONSE', true);
  }
}

function sessionOf(result: Record<string, unknown>): FaceVerifySession {
  const { CertifyId, CertifyUrl } = result;
  if (typeof CertifyId !== 'string' || typeof CertifyUrl !== 'string' || !CertifyId || !CertifyUrl) {
    throw new EndpointFailure('InitFaceVerify', 'MALFORMED_RESPONSE', true);
  }
  return { certifyId: CertifyId, certifyUrl: CertifyUrl };
}

type DoneOutcome = Extract<FaceVerifyOutcome, { state: 'DONE' }>;

// DescribeFaceVerify: 424 while the user has not finished, abandoned or never started — not an
// outage; 406/417/427 are final answers about the session, given as a failed outcome.
function describedOutcomeOf(response: CloudauthResponse): { outcome: FaceVerifyOutcome; pictureUrl?: string } {
  const code = codeOf(response);
  if (code === '424') return { outcome: { state: 'PENDING' } };
  const final = finalFailureOf('DescribeFaceVerify', code);
  if (final) return { outcome: failed(code, final) };
  const result = resultOf('DescribeFaceVerify', response);
  return { outcome: doneOf('DescribeFaceVerify', result), pictureUrl: pictureUrlOf(result.MaterialInfo) };
}

function contrastOutcomeOf(response: CloudauthResponse): DoneOutcome & { certifyId: string } {
  const result = resultOf('ContrastFaceVerify', response);
  if (typeof result.CertifyId !== 'string' || !result.CertifyId) throw new EndpointFailure('ContrastFaceVerify', 'MALFORMED_RESPONSE', true);
  return { ...doneOf('ContrastFaceVerify', result), certifyId: result.CertifyId };
}

function doneOf(action: CloudauthAction, result: Record<string, unknown>): DoneOutcome {
  const { Passed, SubCode } = result;
  if ((Passed !== 'T' && Passed !== 'F') || (typeof SubCode !== 'string' && typeof SubCode !== 'number')) {
    throw new EndpointFailure(action, 'MALFORMED_RESPONSE', true);
  }
  const subCode = String(SubCode);
  return Passed === 'T' ? { state: 'DONE', passed: true, subCode } : failed(subCode, failureOfSubCode(subCode));
}

function failed(subCode: string, failureCode: FailureCode): DoneOutcome {
  return { state: 'DONE', passed: false, subCode, failureCode };
}

/**
 * `ResultObject.MaterialInfo` is a JSON string with camelCase keys:
 * `{"faceAttack":"F","facialPictureFront":{"qualityScore":…,"verifyScore":…,"pictureUrl":…,"ossObjectName":…}}`.
 * `pictureUrl` is a short-lived OSS link; anything unreadable means no picture.
 */
function pictureUrlOf(materialInfo: unknown): string | undefined {
  try {
    const material: unknown = typeof materialInfo === 'string' ? JSON.parse(materialInfo) : materialInfo;
    const front = (material as { facialPictureFront?: unknown } | null)?.facialPictureFront;
    const url = (front as { pictureUrl?: unknown } | null)?.pictureUrl;
    return typeof url === 'string' && /^https?:\/\//.test(url) ? url : undefined;
  } catch {
    return undefined;
  }
}
