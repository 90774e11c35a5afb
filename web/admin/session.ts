/** The operator's token lives for the tab only: closing it signs out. */
const KEY = 'realname-admin-token';

export const storedToken = () => sessionStorage.getItem(KEY);
export const storeToken = (token: string) => sessionStorage.setItem(KEY, token);
export const forgetToken = () => sessionStorage.removeItem(KEY);

/** Who the token names (`sub`), for the header; the server checks the token, not this. */
export function operatorOf(token: string): string {
  try {
    const payload = JSON.parse(atob(token.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))) as { sub?: string };
    return payload.sub ?? '';
  } catch {
    return '';
  }
}

/** The development sign-in the service offers outside production: an operator token for the id given. */
export async function devSignIn(operatorId: string): Promise<string> {
  const response = await fetch('/admin/session', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userId: operatorId }),
  });
  const body = (await response.json().catch(() => ({}))) as { token?: string; message?: string };
  if (!response.ok || !body.token) throw new Error(body.message ?? '开发登录不可用:生产环境请使用统一登录签发的令牌');
  return body.token;
}
