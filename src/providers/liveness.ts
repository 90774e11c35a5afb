/**
 * InitFaceVerify's liveness options, as Aliyun documents them for the H5 ID_PRO flow (金融级实人认证,
 * H5 服务端集成, `Model`): "LIVENESS(默认):眨眼; PHOTINUS_LIVENESS:眨眼+炫彩; MULTI_ACTION:眨眼+摇头;
 * MULTI_PHOTINUS:眨眼+摇头+炫彩; MOVE_ACTION(推荐):远近移动+眨眼; MULTI_FAPTCHA:眨眼+形迹".
 * (MOVE_PHOTINUS exists for the App SDK only.) The emulator accepts exactly these.
 */
export const LIVENESS_MODELS = ['LIVENESS', 'PHOTINUS_LIVENESS', 'MULTI_ACTION', 'MULTI_PHOTINUS', 'MOVE_ACTION', 'MULTI_FAPTCHA'] as const;
export type LivenessModel = (typeof LIVENESS_MODELS)[number];

/** Aliyun's default is LIVENESS; we send what it recommends. */
export const DEFAULT_LIVENESS_MODEL: LivenessModel = 'MOVE_ACTION';

/**
 * InitFaceVerify's `SuitableType` (H5 since 2025-06-26, "支持终端用户选择认证模式时进入适老化模式"):
 * its guide page then offers "开启认证" and "长辈认证模式" (larger type, voice prompts). The name is
 * confirmed by Aliyun's own SDK (@alicloud/cloudauth20190307 3.5.0: `InitFaceVerifyRequest.suitableType`,
 * a string sent as query `SuitableType`), but neither the SDK nor the pages we could read give its
 * values: `ELDER` is our assumption, kept in this one place (README, "Liveness and the
 * elderly-friendly mode"); check it against the console's OpenAPI Explorer before relying on it in
 * LIVE. Without elderlyMode the parameter is not sent.
 */
export const SUITABLE_TYPE_ELDERLY = 'ELDER';
export const SUITABLE_TYPES: readonly string[] = [SUITABLE_TYPE_ELDERLY];
