import type { FetchLike } from '../transport.js';
import { webSocketOver, type MiniProgramWebSocketConstructor } from './miniprogram-socket.js';

/** The part of WeChat's `wx` the client uses (structurally what miniprogram-api-typings declares). */
export interface WechatLike {
  connectSocket(option: { url: string; protocols?: string[]; header?: Record<string, string>; fail?: (error: { errMsg: string }) => void }): WechatSocketTask;
  request(option: {
    url: string;
    method: 'POST';
    header: Record<string, string>;
    data: string | ArrayBuffer;
    dataType: '其他';
    responseType: 'text';
    success: (result: { statusCode: number; data: string | Record<string, unknown> | ArrayBuffer }) => void;
    fail: (error: { errMsg: string }) => void;
  }): unknown;
}

export interface WechatSocketTask {
  send(option: { data: string | ArrayBuffer; fail?: (error: { errMsg: string }) => void }): void;
  close(option: { code?: number; reason?: string }): void;
  onOpen(listener: (result: { header?: Record<string, string> }) => void): void;
  onMessage(listener: (result: { data: string | ArrayBuffer }) => void): void;
  onError(listener: (result: { errMsg: string }) => void): void;
  onClose(listener: (result: { code: number; reason: string }) => void): void;
}

/**
 * A WebSocket constructor over `wx.connectSocket`, for graphql-ws (`webSocketImpl`).
 *
 * @example
 * const client = createRealnameClient({ url, token, webSocketImpl: wechatWebSocket(wx), fetch: wechatFetch(wx) });
 */
export function wechatWebSocket(wx: WechatLike): MiniProgramWebSocketConstructor {
  return webSocketOver((url, protocols) => {
    let failed: ((message: string) => void) | undefined;
    let failure: string | undefined;
    const task = wx.connectSocket({
      url,
      protocols,
      fail: (error) => (failed ? failed(error.errMsg) : (failure = error.errMsg)),
    });
    return {
      send: (data, onFail) => task.send({ data, fail: (error) => onFail(error.errMsg) }),
      close: (code, reason) => task.close({ code, reason }),
      onOpen: (listener) => task.onOpen((result) => listener(headerOf(result.header, 'sec-websocket-protocol'))),
      onMessage: (listener) => task.onMessage((result) => listener(result.data)),
      onError: (listener) => {
        failed = listener;
        task.onError((result) => listener(result.errMsg));
        if (failure !== undefined) listener(failure);
      },
      onClose: (listener) => task.onClose((result) => listener(result.code, result.reason)),
    };
  });
}

/** `fetch` for the client over `wx.request` (the raw text, parsed by the client). */
export function wechatFetch(wx: WechatLike): FetchLike {
  return (url, init) =>
    new Promise((resolve, reject) => {
      wx.request({
        url,
        method: init.method,
        header: init.headers,
        data: init.body,
        dataType: '其他',
        responseType: 'text',
        success: ({ statusCode, data }) => resolve({ status: statusCode, json: async () => (typeof data === 'string' ? JSON.parse(data) : data) }),
        fail: (error) => reject(new Error(error.errMsg)),
      });
    });
}

function headerOf(headers: Record<string, string> | undefined, name: string) {
  if (!headers) return undefined;
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  return key ? headers[key] : undefined;
}
