import { createClient } from 'graphql-ws';
import { describe, expect, it } from 'vitest';
import { alipayWebSocket, wechatWebSocket } from '../../packages/client/src/index.js';
import { scriptedMy, scriptedWx } from '../support/miniprogram-fakes.js';

const PROTOCOL = 'graphql-transport-ws';

/** Every event a socket handed on, in order. */
function record(socket: InstanceType<ReturnType<typeof wechatWebSocket>>) {
  const events: unknown[] = [];
  socket.onopen = () => events.push('open');
  socket.onmessage = ({ data }) => events.push(typeof data === 'string' ? data : ['binary', [...new Uint8Array(data)]]);
  socket.onerror = ({ message }) => events.push(['error', message]);
  socket.onclose = ({ code, reason, wasClean }) => events.push(['close', code, reason, wasClean]);
  return events;
}

describe(wechatWebSocket.name, () => {
  const open = () => {
    const { wx, tasks } = scriptedWx();
    const WebSocketImpl = wechatWebSocket(wx);
    const socket = new WebSocketImpl('wss://realname.example/graphql', PROTOCOL);
    return { WebSocketImpl, socket, task: tasks[0]!, events: record(socket) };
  };

  it('is a WebSocket implementation graphql-ws accepts', () => {
    expect(() => createClient({ url: 'wss://realname.example/graphql', webSocketImpl: wechatWebSocket(scriptedWx().wx) })).not.toThrow();
  });

  it('asks wx.connectSocket for the graphql-ws subprotocol', () => {
    const { task, socket, WebSocketImpl } = open();
    expect(task.url).toBe('wss://realname.example/graphql');
    expect(task.protocols).toEqual([PROTOCOL]);
    expect(socket.readyState).toBe(WebSocketImpl.CONNECTING);
  });

  it('opens, hands text frames as strings and binary frames as ArrayBuffers, then closes with the server’s code', () => {
    const { task, socket, events, WebSocketImpl } = open();
    task.open();
    expect(socket.readyState).toBe(WebSocketImpl.OPEN);
    expect(socket.protocol).toBe(PROTOCOL);
    task.message('{"type":"connection_ack"}');
    task.message(new Uint8Array([1, 2, 3]).buffer);
    task.serverClose(4403, 'Forbidden');
    task.serverClose(1000, ''); // a late duplicate is ignored
    expect(events).toEqual(['open', '{"type":"connection_ack"}', ['binary', [1, 2, 3]], ['close', 4403, 'Forbidden', false]]);
    expect(socket.readyState).toBe(WebSocketImpl.CLOSED);
  });

  it('follows an error with a close 1006, as browsers do, even when WeChat sends no onClose', () => {
    const { task, events } = open();
    task.fail('connectSocket:fail timeout');
    expect(events).toEqual([['error', 'connectSocket:fail timeout'], ['close', 1006, 'connectSocket:fail timeout', false]]);
    expect(task.closedWith).toEqual({ code: 1000, reason: '' });
  });

  it('passes close codes from graphql-ws to the task and reports the close once WeChat confirms it', () => {
    const { task, socket, events, WebSocketImpl } = open();
    task.open();
    socket.close(4499, 'Terminated');
    expect(task.closedWith).toEqual({ code: 4499, reason: 'Terminated' });
    expect(socket.readyState).toBe(WebSocketImpl.CLOSING);
    task.serverClose(4499, 'Terminated');
    expect(events.at(-1)).toEqual(['close', 4499, 'Terminated', false]);
  });

  it('refuses to send while connecting and drops what is sent after the close', () => {
    const { task, socket } = open();
    expect(() => socket.send('too early')).toThrow(/InvalidStateError/);
    task.open();
    socket.send('{"type":"connection_init"}');
    task.serverClose(1000, '');
    socket.send('too late');
    expect(task.sent).toEqual(['{"type":"connection_init"}']);
  });
});

describe(alipayWebSocket.name, () => {
  const open = () => {
    const { my, tasks } = scriptedMy();
    const WebSocketImpl = alipayWebSocket(my);
    const socket = new WebSocketImpl('wss://realname.example/graphql', PROTOCOL);
    return { WebSocketImpl, socket, task: tasks[0]!, events: record(socket) };
  };

  it('is a WebSocket implementation graphql-ws accepts', () => {
    expect(() => createClient({ url: 'wss://realname.example/graphql', webSocketImpl: alipayWebSocket(scriptedMy().my) })).not.toThrow();
  });

  it('opens in SocketTask mode with the subprotocol, decodes base64 binary frames, and reads the close code', () => {
    const { task, socket, events, WebSocketImpl } = open();
    expect(task.protocols).toEqual([PROTOCOL]);
    task.open();
    expect(socket.protocol).toBe(PROTOCOL);
    task.message('{"type":"next"}');
    task.message(Buffer.from([7, 8]).toString('base64'), true);
    task.serverClose(4400, 'Bad request');
    expect(events).toEqual(['open', '{"type":"next"}', ['binary', [7, 8]], ['close', 4400, 'Bad request', false]]);
    expect(socket.readyState).toBe(WebSocketImpl.CLOSED);
  });

  it('sends text as text and an ArrayBuffer as base64 marked isBuffer', () => {
    const { task, socket } = open();
    task.open();
    socket.send('{"type":"ping"}');
    socket.send(new Uint8Array([255]).buffer);
    expect(task.sent).toEqual(['{"type":"ping"}', '/w==']);
    expect(task.sentAsBuffer).toEqual([false, true]);
  });

  it('follows an error with a close 1006', () => {
    const { task, events } = open();
    task.fail('network down');
    expect(events).toEqual([['error', 'network down'], ['close', 1006, 'network down', false]]);
  });
});
