import { createRealnameClient, RealnameError, wechatFetch, wechatWebSocket, type RealnameClient, type Verification, type WechatLike } from '@weiaibang/realname-client';

export interface VerifyView {
  status: Verification['status'] | 'IDLE' | 'STARTING';
  message: string;
  canSendLetter: boolean;
}

/** The client as a WeChat mini-program builds it: sockets and requests through `wx`. */
export function wechatRealnameClient(wx: WechatLike, url: string, token: () => Promise<string>): RealnameClient {
  return createRealnameClient({ url, token, webSocketImpl: wechatWebSocket(wx), fetch: wechatFetch(wx) });
}

/**
 * The WeChat path: Aliyun documents no WeChat liveness, so the mini-program takes the photo with its
 * own camera and the service compares it (ContrastFaceVerify). Start → photo → the result pushed
 * over the socket → the letter gate.
 */
export async function verify(
  client: RealnameClient,
  input: { realName: string; idCardNumber: string },
  takePhoto: () => Promise<ArrayBuffer>,
  show: (view: VerifyView) => void,
): Promise<VerifyView> {
  show({ status: 'STARTING', message: '正在提交…', canSendLetter: false });
  try {
    const terms = await client.consentTerms();
    const session = await client.startFaceCapture({ ...input, consentVersion: terms.version, biometricConsent: true });
    session.on('status', (v) => show({ status: v.status, message: v.failureReason?.message ?? '请拍摄一张本人正脸照片', canSendLetter: false }));
    await client.submitFaceCapture(session.verification, await takePhoto());
    const final = await session.result;
    const gate = await client.verifyIdentity();
    const view = { status: final.status, message: final.status === 'VERIFIED' ? '认证成功' : (final.failureReason?.message ?? '认证未完成'), canSendLetter: gate.passed };
    show(view);
    return view;
  } catch (error) {
    const view: VerifyView = { status: 'IDLE', message: error instanceof RealnameError ? error.message : '网络连接失败,请稍后再试', canSendLetter: false };
    show(view);
    return view;
  }
}
