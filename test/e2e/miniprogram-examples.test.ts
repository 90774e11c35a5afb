import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alipayRealnameClient, verify as alipayVerify, type AlipayCertify, type VerifyView } from '../../examples/alipay-miniprogram/verify-flow.js';
import { verify as wechatVerify, wechatRealnameClient } from '../../examples/wechat-miniprogram/miniprogram/verify-flow.js';
import { SANDBOX_MAGIC_IMAGES } from '../../src/providers/sandbox/magic-images.js';
import { startTestApp, tokenFor, type TestApp } from '../support/app.js';
import { validIdNumber } from '../support/id-numbers.js';
import { networkMy, networkWx } from '../support/miniprogram-fakes.js';

const toArrayBuffer = (bytes: Buffer) => new Uint8Array(bytes).buffer;

describe('the example mini-programs’ verification flow against the service', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('WeChat: start, a photo from the camera, the result over wx.connectSocket, then the letter gate opens', async () => {
    const token = await tokenFor('example-wechat');
    const client = wechatRealnameClient(networkWx(), `${app.url}/graphql`, async () => token);
    const views: VerifyView[] = [];
    const final = await wechatVerify(client, { realName: '张三', idCardNumber: validIdNumber() }, async () => toArrayBuffer(SANDBOX_MAGIC_IMAGES.PASS), (view) => views.push(view));

    expect(final).toEqual({ status: 'VERIFIED', message: '认证成功', canSendLetter: true });
    expect(views[0]!.status).toBe('STARTING');
    await client.close();
  });

  it('Alipay: open-certify with the certifyId and URL, a failed check told in plain words, the gate stays shut', async () => {
    const token = await tokenFor('example-alipay');
    const my = networkMy();
    const client = alipayRealnameClient(my, `${app.url}/graphql`, async () => token);
    const bizServices: { name: string; param: Record<string, string> }[] = [];
    const certify: AlipayCertify = {
      call(api, { name, param, success }) {
        expect(api).toBe('startBizService');
        const parsed = JSON.parse(param) as Record<string, string>;
        bizServices.push({ name, param: parsed });
        void app.sandbox!.complete(parsed.certifyId!, 'fail').then(() => success?.({ resultStatus: '9000' }));
      },
    };
    const final = await alipayVerify(client, certify, { realName: '张三', idCardNumber: validIdNumber() }, () => {});

    expect(final).toEqual({ status: 'FAILED', message: '活体检测未通过', canSendLetter: false });
    expect(bizServices).toHaveLength(1);
    expect(bizServices[0]!.name).toBe('open-certify');
    expect(bizServices[0]!.param.url).toMatch(/\/certify\//);
    await client.close();
  });

  it('Alipay: a refused number shows the service’s own sentence (read from a 4xx through my.request’s fail)', async () => {
    const token = await tokenFor('example-alipay-refused');
    const client = alipayRealnameClient(networkMy(), `${app.url}/graphql`, async () => token);
    const final = await alipayVerify(client, { call: () => {} }, { realName: '张三', idCardNumber: '110101199003070000' }, () => {});
    expect(final).toEqual({ status: 'IDLE', message: '身份证号码无效,请核对后重新输入', canSendLetter: false });
    await client.close();
  });
});
