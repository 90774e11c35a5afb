import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { CONSENT_VERSION, gql, START, startTestApp, tokenFor, type TestApp } from '../support/app.js';
import { validIdNumber } from '../support/id-numbers.js';

/** graphql-ws caps: subscriptions per socket, sockets per user, sockets per client address (IPv6 by its /64). */

const PROTOCOL = 'graphql-transport-ws';
const WATCH = `subscription($id: ID!) { verificationResult(id: $id) { status } }`;
const TOO_MANY = 4008;

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({
    env: { TRUSTED_PROXIES: '127.0.0.1', WS_MAX_SUBSCRIPTIONS_PER_SOCKET: '2', WS_MAX_SOCKETS_PER_USER: '2', WS_MAX_SOCKETS_PER_IP: '3' },
  });
});
afterAll(() => app?.stop());

let addresses = 0;
const newIp = () => `198.51.100.${++addresses}`;

interface Connection {
  socket: WebSocket;
  closed: Promise<number>;
  /** Every message the server sent, parsed. */
  messages: unknown[];
}

async function open(ip: string): Promise<Connection> {
  const socket = new WebSocket(`${app.url.replace('http', 'ws')}/graphql`, PROTOCOL, { headers: { 'x-forwarded-for': ip } });
  socket.on('error', () => {});
  const messages: unknown[] = [];
  socket.on('message', (data) => messages.push(JSON.parse(String(data))));
  const closed = new Promise<number>((resolve) => socket.once('close', resolve));
  await Promise.race([once(socket, 'open'), closed]);
  return { socket, closed, messages };
}

/** Opens and sends connection_init; settles on the ack, or on the close code when refused. */
async function initialised(userId: string, ip = newIp()): Promise<Connection & { closeCode?: number }> {
  const connection = await open(ip);
  if (connection.socket.readyState !== WebSocket.OPEN) return { ...connection, closeCode: await connection.closed };
  connection.socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${await tokenFor(userId)}` } }));
  const outcome = await Promise.race([once(connection.socket, 'message').then(() => undefined), connection.closed]);
  return { ...connection, closeCode: outcome };
}

const connections: Connection[] = [];
const track = <T extends Connection>(c: T) => (connections.push(c), c);
afterAll(async () => {
  for (const { socket } of connections) socket.terminate();
});

describe('subscriptions per socket', () => {
  it('refuses the subscription beyond WS_MAX_SUBSCRIPTIONS_PER_SOCKET with RATE_LIMITED, keeping the socket', async () => {
    const userId = 'caps-subscriber';
    const started = await gql(app, START, { input: { realName: '张三', idCardNumber: validIdNumber(), consentVersion: CONSENT_VERSION, biometricConsent: true } }, await tokenFor(userId));
    const id = started.data!.startVerification.id as string;
    const connection = track(await initialised(userId));
    expect(connection.closeCode).toBeUndefined();
    const subscribe = (n: number) => connection.socket.send(JSON.stringify({ id: `s${n}`, type: 'subscribe', payload: { query: WATCH, variables: { id } } }));
    const answerTo = async (n: number) => {
      while (!connection.messages.some((m) => (m as { id?: string }).id === `s${n}`)) await once(connection.socket, 'message');
      return connection.messages.find((m) => (m as { id?: string }).id === `s${n}`) as { type: string; payload: unknown };
    };
    subscribe(1);
    subscribe(2);
    expect((await answerTo(1)).type).toBe('next');
    expect((await answerTo(2)).type).toBe('next');
    subscribe(3);
    expect(await answerTo(3)).toEqual({ id: 's3', type: 'error', payload: [expect.objectContaining({ extensions: { code: 'RATE_LIMITED' } })] });
    expect(connection.socket.readyState).toBe(WebSocket.OPEN);

    connection.socket.send(JSON.stringify({ id: 's1', type: 'complete' }));
    subscribe(4);
    expect((await answerTo(4)).type).toBe('next');
  });
});

describe('sockets per user', () => {
  it('closes the socket beyond WS_MAX_SOCKETS_PER_USER with 4008, from any address', async () => {
    const first = track(await initialised('caps-user'));
    const second = track(await initialised('caps-user'));
    expect([first.closeCode, second.closeCode]).toEqual([undefined, undefined]);
    expect(track(await initialised('caps-user')).closeCode).toBe(TOO_MANY);
    expect(track(await initialised('caps-other-user')).closeCode).toBeUndefined();
  });

  it('lets the user in again once a socket has closed', async () => {
    const first = track(await initialised('caps-returning'));
    track(await initialised('caps-returning'));
    first.socket.close();
    await first.closed;
    let again = await initialised('caps-returning');
    // The server learns of the close a moment after our end does: try until it has.
    for (let i = 0; again.closeCode === TOO_MANY && i < 50; i++) again = await initialised('caps-returning');
    expect(track(again).closeCode).toBeUndefined();
  });
});

describe('sockets per address', () => {
  it('closes the socket beyond WS_MAX_SOCKETS_PER_IP with 4008, before it authenticates', async () => {
    const ip = newIp();
    for (let i = 0; i < 3; i++) expect(track(await open(ip)).socket.readyState).toBe(WebSocket.OPEN);
    const refused = track(await open(ip));
    expect(await refused.closed).toBe(TOO_MANY);
    expect(track(await open(newIp())).socket.readyState).toBe(WebSocket.OPEN);
  });

  it('counts an IPv6 /64 as one address', async () => {
    const net = '2001:db8:77:1';
    for (let i = 1; i <= 3; i++) expect(track(await open(`${net}::${i}`)).socket.readyState).toBe(WebSocket.OPEN);
    expect(await track(await open(`${net}:ffff::9`)).closed).toBe(TOO_MANY);
    expect(track(await open('2001:db8:77:2::1')).socket.readyState).toBe(WebSocket.OPEN);
  });
});
