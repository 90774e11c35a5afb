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
    await verify(client, { realName: this.data.realName, idCardNumber: this.data.idCardNumber }, takePhoto, (view) => this.setData(view));
  },
});

/** The front camera, one photo, read as the JPEG bytes the service compares with the ID photo. */
async function takePhoto(): Promise<ArrayBuffer> {
  const { tempFiles } = await wx.chooseMedia({ count: 1, mediaType: ['image'], sourceType: ['camera'], camera: 'front', sizeType: ['compressed'] });
  return wx.getFileSystemManager().readFileSync(tempFiles[0]!.tempFilePath) as ArrayBuffer;
}
