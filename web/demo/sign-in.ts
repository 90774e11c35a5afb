/** The development sign-in the service offers outside production: a token for the user the URL names. */
export async function devSignIn(userId: string): Promise<string> {
  const response = await fetch('/demo/session', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userId }),
  });
  const body = (await response.json().catch(() => ({}))) as { token?: string; message?: string };
  if (!response.ok || !body.token) throw new Error(body.message ?? '演示登录不可用');
  return body.token;
}
