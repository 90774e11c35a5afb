/** The sandbox's stand-in for Aliyun's H5 liveness page: self-contained HTML, no external resources. */

export interface CertifyPageView {
  certifyId: string;
  outerOrderNo: string;
  maskedName: string;
  maskedCertNo: string;
  /** Which document the number's prefix names. */
  documentName: string;
  /** InitFaceVerify's Model, SuitableType and Ip, echoed so a test can see what the service sent. */
  model: string;
  suitableType?: string;
  ip?: string;
}

export function renderCertifyPage(view: CertifyPageView): string {
  const action = `/certify/${encodeURIComponent(view.certifyId)}`;
  return layout(
    '沙箱刷脸认证',
    `<h1>沙箱刷脸认证</h1>
<p class="note">这是实人认证沙箱,不会采集人脸。请选择本次认证的结果。</p>
<dl>
  <dt>订单号</dt><dd>${escapeHtml(view.outerOrderNo)}</dd>
  <dt>姓名</dt><dd>${escapeHtml(view.maskedName)}</dd>
  <dt>证件</dt><dd data-testid="sandbox-document">${escapeHtml(view.documentName)}</dd>
  <dt>证件号码</dt><dd>${escapeHtml(view.maskedCertNo)}</dd>
  <dt>活体类型</dt><dd data-testid="sandbox-model">${escapeHtml(view.model)}</dd>
  <dt>适老化模式</dt><dd data-testid="sandbox-elderly">${view.suitableType ? `已开启(SuitableType ${escapeHtml(view.suitableType)})` : '未开启'}</dd>
  <dt>用户 IP</dt><dd data-testid="sandbox-ip">${escapeHtml(view.ip ?? '-')}</dd>
</dl>
<form method="post" action="${escapeHtml(action)}">
  <button type="submit" name="outcome" value="pass" data-testid="sandbox-pass">模拟认证通过</button>
  <button type="submit" name="outcome" value="fail" data-testid="sandbox-fail">模拟认证失败</button>
</form>`,
  );
}

export function renderGonePage(): string {
  return layout('认证已结束', '<h1>认证已结束</h1><p>此认证链接已使用或已过期,请返回重新发起认证。</p>');
}

export function renderDonePage(passed: boolean): string {
  const text = passed ? '认证已完成' : '认证未通过';
  return layout(text, `<h1>${text}</h1><p>请返回原页面查看结果。</p>`);
}

export function renderNotFoundPage(): string {
  return layout('未找到', '<h1>未找到该认证</h1>');
}

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem;color:#222}
.note{color:#a05a00}dl{display:grid;grid-template-columns:auto 1fr;gap:.25rem 1rem}dt{white-space:nowrap}dd{margin:0;overflow-wrap:anywhere}
button{display:block;width:100%;margin:.75rem 0;padding:.75rem;font-size:1rem}
</style>
</head>
<body>
${body}
</body>
</html>`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
