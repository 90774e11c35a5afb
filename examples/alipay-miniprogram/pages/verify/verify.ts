import { REALNAME_URL } from '../../config';
import { alipayRealnameClient, verify, type VerifyView } from '../../verify-flow';

// Your own login gives the user a token for the service (the service never issues one itself).
const token = async () => String(my.getStorageSync({ key: 'realnameToken' }).data ?? '');
const client = alipayRealnameClient(my, REALNAME_URL, token);

Page({
  data: { realName: '', idCardNumber: '', status: 'IDLE', message: '', canSendLetter: false } as VerifyView & { realName: string; idCardNumber: string },
  onNameInput(e: { detail: { value: string } }) {
    this.setData({ realName: e.detail.value });
  },
  onNumberInput(e: { detail: { value: string } }) {
    this.setData({ idCardNumber: e.detail.value.toUpperCase() });
  },
  async onStart() {
    await verify(client, my, { realName: this.data.realName, idCardNumber: this.data.idCardNumber }, (view) => this.setData(view));
  },
});
