import { REALNAME_URL } from '../../config';
import { verify, wechatRealnameClient, type VerifyView } from '../../verify-flow';

// Your own login gives the user a token for the service (the service never issues one itself).
const token = async () => wx.getStorageSync<string>('realnameToken');
const client = wechatRealnameClient(wx, REALNAME_URL, token);

Page({
  data: { realName: '', idCardNumber: '', status: 'IDLE', message: '', canSendLetter: false } as VerifyView & { realName: string; idCardNumber: string },
  onNameInput(e: WechatMiniprogram.Input) {
    this.setData({ realName: e.detail.value });
  },
  onNumberInput(e: WechatMiniprogram.Input) {
    this.setData({ idCardNumber: e.detail.value.toUpperCase() });
  },
  async onStart() {
    await verify(
      client,
      { realName: this.data.realName, idCardNumber: this.data.idCardNumber },
      // Aliyun documents no WeChat liveness: this opens the certify page in a web-view, which the
      // sandbox serves; in production WeChat captures the face itself (the service's face path).
      async (verification) => {
        await wx.navigateTo({ url: `/pages/certify/certify?url=${encodeURIComponent(verification.certifyUrl ?? '')}` });
      },
      (view) => this.setData(view),
    );
  },
});
