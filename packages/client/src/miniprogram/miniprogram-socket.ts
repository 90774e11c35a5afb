/**
 * The WebSocket that graphql-ws drives (`new Impl(url, protocol)`, the four ready states,
 * `onopen`/`onmessage`/`onerror`/`onclose`, `send`, `close`), over a mini-program's socket task.
 */
export interface SocketTaskPort {
  send(data: string | ArrayBuffer, onFail: (message: string) => void): void;
  close(code: number, reason: string): void;
  onOpen(listener: (protocol: string | undefined) => void): void;
  onMessage(listener: (data: string | ArrayBuffer) => void): void;
  onError(listener: (message: string) => void): void;
  onClose(listener: (code: number, reason: string) => void): void;
}

export interface MiniProgramWebSocket {
  readonly url: string;
  readonly readyState: number;
  readonly protocol: string;
  binaryType: 'arraybuffer';
  onopen: ((event: { type: 'open' }) => void) | null;
  onmessage: ((event: { type: 'message'; data: string | ArrayBuffer }) => void) | null;
  onerror: ((event: { type: 'error'; message: string }) => void) | null;
  onclose: ((event: { type: 'close'; code: number; reason: string; wasClean: boolean }) => void) | null;
  send(data: string | ArrayBuffer): void;
  close(code?: number, reason?: string): void;
}

export interface MiniProgramWebSocketConstructor {
  new (url: string, protocols?: string | string[]): MiniProgramWebSocket;
  readonly CONNECTING: 0;
  readonly OPEN: 1;
  readonly CLOSING: 2;
  readonly CLOSED: 3;
}

// 1006 "abnormal closure": what a browser reports when a socket ends without a close frame.
const ABNORMAL = 1006;

export function webSocketOver(openTask: (url: string, protocols: string[]) => SocketTaskPort): MiniProgramWebSocketConstructor {
  return class implements MiniProgramWebSocket {
    static readonly CONNECTING = 0;
    static readonly OPEN = 1;
    static readonly CLOSING = 2;
    static readonly CLOSED = 3;

    readyState = 0;
    protocol = '';
    binaryType = 'arraybuffer' as const;
    onopen: MiniProgramWebSocket['onopen'] = null;
    onmessage: MiniProgramWebSocket['onmessage'] = null;
    onerror: MiniProgramWebSocket['onerror'] = null;
    onclose: MiniProgramWebSocket['onclose'] = null;
    readonly #task: SocketTaskPort;

    constructor(
      readonly url: string,
      protocols: string | string[] = [],
    ) {
      const requested = typeof protocols === 'string' ? [protocols] : protocols;
      this.#task = openTask(url, requested);
      this.#task.onOpen((protocol) => {
        if (this.readyState !== 0) return;
        this.readyState = 1;
        this.protocol = protocol ?? requested[0] ?? '';
        this.onopen?.({ type: 'open' });
      });
      this.#task.onMessage((data) => {
        if (this.readyState === 1) this.onmessage?.({ type: 'message', data });
      });
      // Browsers always follow an error with a close; some base libraries never call onClose
      // after a failed connection, and graphql-ws and the client's fallback count closes.
      this.#task.onError((message) => {
        if (this.readyState === 3) return;
        this.onerror?.({ type: 'error', message });
        this.#closed(ABNORMAL, message);
        this.#task.close(1000, '');
      });
      this.#task.onClose((code, reason) => this.#closed(code || ABNORMAL, reason));
    }

    send(data: string | ArrayBuffer) {
      if (this.readyState === 0) throw new Error('InvalidStateError: still connecting');
      if (this.readyState !== 1) return; // as browsers do: data sent after close is dropped
      this.#task.send(data, (message) => {
        this.onerror?.({ type: 'error', message });
        this.#closed(ABNORMAL, message);
      });
    }

    close(code = 1000, reason = '') {
      if (this.readyState >= 2) return;
      this.readyState = 2;
      this.#task.close(code, reason);
    }

    #closed(code: number, reason: string) {
      if (this.readyState === 3) return;
      this.readyState = 3;
      this.onclose?.({ type: 'close', code, reason, wasClean: code === 1000 });
    }
  };
}
