/// <reference types="miniprogram-api-typings" />
/// <reference types="@mini-types/alipay" />
import WebSocket from 'ws';

type Listener<T> = (result: T) => void;

/**
 * A socket task as the base libraries behave, driven by the test: `open()`, `message()`,
 * `fail()`, `serverClose()` fire the task's callbacks in the order and shapes the platform uses.
 */
class ScriptedTask<Open, Message, Failure, Close> {
  readonly sent: (string | ArrayBuffer)[] = [];
  closedWith: { code?: number; reason?: string } | undefined;
  protected readonly listeners = { open: [] as Listener<Open>[], message: [] as Listener<Message>[], error: [] as Listener<Failure>[], close: [] as Listener<Close>[] };
  constructor(readonly url: string, readonly protocols: string[] | undefined) {}
  emitOpen(result: Open) {
    for (const l of this.listeners.open) l(result);
  }
  emitMessage(result: Message) {
    for (const l of this.listeners.message) l(result);
  }
  emitError(result: Failure) {
    for (const l of this.listeners.error) l(result);
  }
  emitClose(result: Close) {
    for (const l of this.listeners.close) l(result);
  }
}

type WechatOpen = WechatMiniprogram.OnOpenListenerResult;
type WechatMessage = WechatMiniprogram.SocketTaskOnMessageListenerResult;
type WechatFailure = WechatMiniprogram.GeneralCallbackResult;
type WechatClose = WechatMiniprogram.SocketTaskOnCloseListenerResult;

export class WechatScriptedTask extends ScriptedTask<WechatOpen, WechatMessage, WechatFailure, WechatClose> implements WechatMiniprogram.SocketTask {
  send(option: WechatMiniprogram.SocketTaskSendOption) {
    this.sent.push(option.data);
  }
  close(option: WechatMiniprogram.SocketTaskCloseOption) {
    this.closedWith = { code: option.code, reason: option.reason };
  }
  onOpen(listener: WechatMiniprogram.OnOpenCallback) {
    this.listeners.open.push(listener);
  }
  onMessage(listener: WechatMiniprogram.SocketTaskOnMessageCallback) {
    this.listeners.message.push(listener);
  }
  onError(listener: WechatMiniprogram.UDPSocketOnErrorCallback) {
    this.listeners.error.push(listener as Listener<WechatFailure>);
  }
  onClose(listener: WechatMiniprogram.SocketTaskOnCloseCallback) {
    this.listeners.close.push(listener);
  }
  open(protocol = 'graphql-transport-ws') {
    this.emitOpen({ header: { 'Sec-WebSocket-Protocol': protocol }, profile: {} as WechatOpen['profile'] });
  }
  message(data: string | ArrayBuffer) {
    this.emitMessage({ data });
  }
  fail(errMsg: string) {
    this.emitError({ errMsg });
  }
  serverClose(code: number, reason: string) {
    this.emitClose({ code, reason });
  }
}

/** `wx` with scripted socket tasks; `tasks` in the order they were opened. */
export function scriptedWx() {
  const tasks: WechatScriptedTask[] = [];
  const wx = {
    connectSocket(option: WechatMiniprogram.ConnectSocketOption): WechatMiniprogram.SocketTask {
      const task = new WechatScriptedTask(option.url, option.protocols);
      tasks.push(task);
      return task;
    },
    request(): never {
      throw new Error('not scripted');
    },
  };
  return { wx, tasks };
}

type AlipayTask = my.SocketTask;
type AlipayListener<K extends 'onOpen' | 'onMessage' | 'onError' | 'onClose'> = Parameters<AlipayTask[K]>[0];
type AlipayResult<K extends 'onOpen' | 'onMessage' | 'onError' | 'onClose'> = Parameters<NonNullable<AlipayListener<K>>>[0];

export class AlipayScriptedTask extends ScriptedTask<AlipayResult<'onOpen'>, AlipayResult<'onMessage'>, AlipayResult<'onError'>, AlipayResult<'onClose'> & { code?: number; reason?: string }> {
  readonly sentAsBuffer: boolean[] = [];
  send(option: { data: string; isBuffer?: boolean }) {
    this.sent.push(option.data);
    this.sentAsBuffer.push(option.isBuffer ?? false);
    return Promise.resolve({ success: true });
  }
  close(option: { code?: number; reason?: string } = {}) {
    this.closedWith = option;
    return Promise.resolve({ message: 'closed' });
  }
  onOpen(listener: AlipayListener<'onOpen'>) {
    this.listeners.open.push(listener);
  }
  onMessage(listener: AlipayListener<'onMessage'>) {
    this.listeners.message.push(listener);
  }
  onError(listener: AlipayListener<'onError'>) {
    this.listeners.error.push(listener);
  }
  onClose(listener: AlipayListener<'onClose'>) {
    this.listeners.close.push(listener);
  }
  open() {
    this.emitOpen({ data: { socketTaskID: '1' } });
  }
  message(data: string, isBuffer = false) {
    this.emitMessage({ data: { socketTaskID: '1', data, isBuffer } });
  }
  fail(errorMessage: string) {
    this.emitError({ data: { socketTaskID: '1' }, error: 2, errorMessage } as AlipayResult<'onError'>);
  }
  serverClose(code: number, reason: string) {
    this.emitClose({ data: { socketTaskID: '1' }, code, reason });
  }
}

export function scriptedMy() {
  const tasks: AlipayScriptedTask[] = [];
  const fake = {
    connectSocket(option: Parameters<typeof my.connectSocket>[0] & { multiple: true }) {
      const task = new AlipayScriptedTask(option.url, option.protocols);
      tasks.push(task);
      return task;
    },
    request(): never {
      throw new Error('not scripted');
    },
    base64ToArrayBuffer: (base64: string) => new Uint8Array(Buffer.from(base64, 'base64')).buffer,
    arrayBufferToBase64: (buffer: ArrayBuffer) => Buffer.from(buffer).toString('base64'),
  };
  return { my: fake, tasks };
}

/**
 * `wx` over the real network, for running the client against a server: connectSocket on a `ws`
 * socket with WeChat's callback shapes, request on fetch with wx.request's.
 */
export function networkWx() {
  return {
    connectSocket(option: WechatMiniprogram.ConnectSocketOption): WechatMiniprogram.SocketTask {
      const socket = new WebSocket(option.url, option.protocols);
      socket.binaryType = 'arraybuffer';
      return {
        send: ({ data }) => socket.send(data),
        close: ({ code, reason }) => socket.close(code, reason),
        onOpen: (listener) => socket.on('open', () => listener({ header: { 'Sec-WebSocket-Protocol': socket.protocol }, profile: {} as WechatOpen['profile'] })),
        onMessage: (listener) => socket.on('message', (data, isBinary) => listener({ data: isBinary ? (data as ArrayBuffer) : data.toString() })),
        onError: (listener) => socket.on('error', (error) => (listener as Listener<WechatFailure>)({ errMsg: `connectSocket:fail ${error.message}` })),
        onClose: (listener) => socket.on('close', (code, reason) => listener({ code, reason: reason.toString() })),
      };
    },
    request(option: { url: string; header: Record<string, string>; data: string | ArrayBuffer; success: (r: { statusCode: number; data: string }) => void; fail: (e: { errMsg: string }) => void }) {
      fetch(option.url, { method: 'POST', headers: option.header, body: option.data }).then(
        async (res) => option.success({ statusCode: res.status, data: await res.text() }),
        (error: Error) => option.fail({ errMsg: `request:fail ${error.message}` }),
      );
    },
  };
}

/** `my` over the real network: SocketTask mode on a `ws` socket with Alipay's callback shapes, request on fetch. */
export function networkMy() {
  const scripted = scriptedMy().my;
  return {
    base64ToArrayBuffer: scripted.base64ToArrayBuffer,
    arrayBufferToBase64: scripted.arrayBufferToBase64,
    connectSocket(option: { url: string; protocols?: string[]; multiple: true }) {
      const socket = new WebSocket(option.url, option.protocols);
      const id = { socketTaskID: '1' };
      return {
        send: (o: { data: string; isBuffer?: boolean }) => {
          socket.send(o.isBuffer ? Buffer.from(o.data, 'base64') : o.data);
          return Promise.resolve({ success: true });
        },
        close: (o: { code?: number; reason?: string } = {}) => {
          socket.close(o.code, o.reason);
          return Promise.resolve({ message: 'closed' });
        },
        onOpen: (listener: AlipayListener<'onOpen'>) => void socket.on('open', () => listener({ data: id })),
        onMessage: (listener: AlipayListener<'onMessage'>) =>
          void socket.on('message', (data, isBinary) =>
            listener({ data: { ...id, data: isBinary ? Buffer.from(data as Buffer).toString('base64') : data.toString(), isBuffer: isBinary } }),
          ),
        onError: (listener: AlipayListener<'onError'>) => void socket.on('error', (error) => listener({ data: id, error: 2, errorMessage: error.message } as AlipayResult<'onError'>)),
        onClose: (listener: AlipayListener<'onClose'>) => void socket.on('close', (code, reason) => listener({ data: id, code, reason: reason.toString() } as AlipayResult<'onClose'>)),
      };
    },
    request(option: { url: string; headers: Record<string, string>; data: string | ArrayBuffer; success: (r: { status: number; data: unknown }) => void; fail: (e: { error?: number; errorMessage?: string; status?: number; data?: unknown }) => void }) {
      fetch(option.url, { method: 'POST', headers: option.headers, body: option.data }).then(
        async (res) => {
          const data = await res.text();
          // As Alipay does: an HTTP status of 400 and above goes to fail, as error 19.
          if (res.status >= 400) option.fail({ error: 19, errorMessage: 'http status error', status: res.status, data });
          else option.success({ status: res.status, data });
        },
        (error: Error) => option.fail({ error: 12, errorMessage: error.message }),
      );
    },
  };
}
