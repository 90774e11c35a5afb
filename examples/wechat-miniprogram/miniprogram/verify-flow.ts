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
 * Start → liveness → the result pushed over the socket → the letter gate. `openCertify` takes the
 * user to liveness; the result comes from the service, never from that page.
 */
export async function verify(
  client: RealnameClient,
  input: { realName: string; idCardNumber: string },
  openCertify: (verification: Verification) => Promise<void>,
  show: (view: VerifyView) => void,
): Promise<VerifyView> {
  show({ status: 'STARTING', message: '正在提交…', canSendLetter: false });
  try {
    const terms = await client.consentTerms();
    const session = await client.startVerification({ ...input, consentVersion: terms.version, biometricConsent: true });
    session.on('status', (v) => show({ status: v.status, message: v.failureReason?.message ?? '请完成人脸认证', canSendLetter: false }));
    await openCertify(session.verification);
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
