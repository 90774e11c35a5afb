import type { FetchLike } from '../transport.js';
import { webSocketOver, type MiniProgramWebSocketConstructor } from './miniprogram-socket.js';

/** The part of Alipay's `my` the client uses (structurally what @mini-types/alipay declares). */
export interface AlipayLike {
  connectSocket(option: { url: string; protocols?: string[]; header?: Record<string, string>; multiple: true }): AlipaySocketTask;
  request(option: {
    url: string;
    method: 'POST';
    headers: Record<string, string>;
    data: string | ArrayBuffer;
    dataType: 'text';
    success: (result: { status: number; data: unknown }) => void;
    fail: (error: { error?: number; errorMessage?: string; status?: number; data?: unknown }) => void;
  }): unknown;
  base64ToArrayBuffer(base64: string): ArrayBuffer;
  arrayBufferToBase64(buffer: ArrayBuffer): string;
}

/** Alipay wraps each callback's fields in `data`; close codes are read from either place. */
export interface AlipaySocketTask {
  send(option: { data: string; isBuffer?: boolean; fail?: (error: { errorMessage?: string }) => void }): unknown;
  close(option?: { code?: number; reason?: string }): unknown;
  onOpen(listener: (result: { data: unknown }) => void): void;
  onMessage(listener: (result: { data: { data: string | ArrayBuffer; isBuffer: boolean } }) => void): void;
  onError(listener: (result: { data: unknown; error: number; errorMessage?: string }) => void): void;
  onClose(listener: (result: { data: { socketTaskID?: string; code?: number; reason?: string }; code?: number; reason?: string }) => void): void;
}

/**
 * A WebSocket constructor over `my.connectSocket` (SocketTask mode, `multiple: true`), for
 * graphql-ws (`webSocketImpl`). Binary frames arrive base64-encoded (`isBuffer`) and are handed on
 * as ArrayBuffers, as a browser with `binaryType = 'arraybuffer'` would.
 *
 * @example
 * const client = createRealnameClient({ url, token, webSocketImpl: alipayWebSocket(my), fetch: alipayFetch(my) });
 */
export function alipayWebSocket(my: AlipayLike): MiniProgramWebSocketConstructor {
  return webSocketOver((url, protocols) => {
    const task = my.connectSocket({ url, protocols, multiple: true });
    return {
      send: (data, onFail) => {
        const fail = (error: { errorMessage?: string }) => onFail(error.errorMessage ?? 'send failed');
        if (typeof data === 'string') task.send({ data, fail });
        else task.send({ data: my.arrayBufferToBase64(data), isBuffer: true, fail });
      },
      close: (code, reason) => task.close({ code, reason }),
      onOpen: (listener) => task.onOpen(() => listener(undefined)),
      onMessage: (listener) =>
        task.onMessage(({ data: message }) => listener(message.isBuffer && typeof message.data === 'string' ? my.base64ToArrayBuffer(message.data) : message.data)),
      onError: (listener) => task.onError((result) => listener(result.errorMessage ?? `socket error ${result.error}`)),
      onClose: (listener) => task.onClose((result) => listener(result.code ?? result.data?.code ?? 1006, result.reason ?? result.data?.reason ?? '')),
    };
  });
}

/**
 * `fetch` for the client over `my.request`. Alipay calls `fail` (error 19) for an HTTP status of
 * 400 and above; the service's refusals still carry a JSON body there, so it is read all the same.
 */
export function alipayFetch(my: AlipayLike): FetchLike {
  return (url, init) =>
    new Promise((resolve, reject) => {
      const answer = (status: number, data: unknown) => resolve({ status, json: async () => (typeof data === 'string' ? JSON.parse(data) : data) });
      my.request({
        url,
        method: init.method,
        headers: init.headers,
        data: init.body,
        dataType: 'text',
        success: ({ status, data }) => answer(status, data),
        fail: (error) => (error.error === 19 && error.data !== undefined ? answer(error.status ?? 400, error.data) : reject(new Error(error.errorMessage ?? 'request failed'))),
      });
    });
}
