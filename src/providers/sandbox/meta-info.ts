/**
 * A stand-in for Aliyun's H5 script. Aliyun (H5网页集成): "在代码中引入如下JS文件,并调用函数
 * getMetaInfo()获取MetaInfo … <script src="https://o.alicdn.com/yd-cloudauth/cloudauth-cdn/jsvm_all.js">"
 * and "MetaInfo会随着浏览器和设备的变化而变化…不要使用硬编码的测试数据,否则很可能无法获取CertifyUrl".
 * The sandbox serves the same function at the same path, so a page loads `<sandbox>/…/jsvm_all.js`
 * or Aliyun's and calls `getMetaInfo()` the same way in both modes.
 */
export const META_INFO_SCRIPT_PATH = '/yd-cloudauth/cloudauth-cdn/jsvm_all.js';

export function metaInfoScript(): string {
  return `(function () {
  window.getMetaInfo = function () {
    var ua = (typeof navigator !== 'undefined' && navigator.userAgent) || '';
    return JSON.stringify({ zimVer: '3.0.0', deviceType: 'h5', bioMetaInfo: 'sandbox:' + Date.now(), ua: ua });
  };
})();
`;
}

/** What the script returns, built on the server: for the service's sandbox mode when a client sent none. */
export function sandboxMetaInfo(): string {
  return JSON.stringify({ zimVer: '3.0.0', deviceType: 'h5', bioMetaInfo: `sandbox:${Date.now()}`, ua: 'realname-sandbox' });
}

/** The shape Aliyun's script produces: a JSON object naming the device type and the bio meta info. */
export function isMetaInfo(text: string): boolean {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
    const { deviceType, bioMetaInfo } = value as Record<string, unknown>;
    return typeof deviceType === 'string' && typeof bioMetaInfo === 'string';
  } catch {
    return false;
  }
}
