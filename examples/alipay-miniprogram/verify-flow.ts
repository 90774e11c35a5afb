import { alipayFetch, alipayWebSocket, createRealnameClient, RealnameError, type AlipayLike, type RealnameClient, type Verification } from '@weiaibang/realname-client';

export interface VerifyView {
  status: Verification['status'] | 'IDLE' | 'STARTING';
  message: string;
  canSendLetter: boolean;
}

/** What the flow needs of `my` besides sockets and requests: `my.call`, which reaches Alipay's liveness service. */
export interface AlipayCertify {
  call(name: string, option: { name: string; param: string; success?: (result: { resultStatus?: string }) => void; fail?: (error: unknown) => void }): unknown;
}

export function alipayRealnameClient(my: AlipayLike, url: string, token: () => Promise<string>): RealnameClient {
  return createRealnameClient({ url, token, webSocketImpl: alipayWebSocket(my), fetch: alipayFetch(my) });
}

/**
 * Aliyun's documented Alipay integration: `startBizService` (through `my.call`) with `open-certify`, given the certifyId
 * and the certify URL. Its resultStatus only says the user came back; the service's result decides.
 */
export function openCertify(my: AlipayCertify, verification: Verification): Promise<void> {
  return new Promise((resolve) => {
    my.call('startBizService', {
      name: 'open-certify',
      param: JSON.stringify({ certifyId: verification.certifyId, url: verification.certifyUrl }),
      success: () => resolve(),
      fail: () => resolve(),
    });
  });
}

export async function verify(client: RealnameClient, my: AlipayCertify, input: { realName: string; idCardNumber: string }, show: (view: VerifyView) => void): Promise<VerifyView> {
  show({ status: 'STARTING', message: '正在提交…', canSendLetter: false });
  try {
    const terms = await client.consentTerms();
    const session = await client.startVerification({ ...input, consentVersion: terms.version, biometricConsent: true });
    session.on('status', (v) => show({ status: v.status, message: v.failureReason?.message ?? '请完成人脸认证', canSendLetter: false }));
    await openCertify(my, session.verification);
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
