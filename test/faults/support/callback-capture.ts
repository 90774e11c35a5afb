import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Stands in for PUBLIC_BASE_URL: the sandbox's callbacks land here instead of on the app, so a test
 * holds the real CallbackUrl (with its token) and can replay it as often and as concurrently as it likes.
 */
export async function startCallbackCapture() {
  const received = new Map<string, string>();
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://capture');
    const certifyId = url.searchParams.get('certifyId');
    if (url.pathname === '/callbacks/aliyun' && certifyId) received.set(certifyId, `${url.pathname}${url.search}`);
    res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    /** Path and query of the callback the sandbox sent for this CertifyId. */
    callbackFor(certifyId: string): string {
      const path = received.get(certifyId);
      if (!path) throw new Error('no callback captured for this certifyId');
      return path;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
