import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { CloseCode } from 'graphql-ws';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { gql, startTestApp, tokenFor, type TestApp } from '../support/app.js';
import { TEST_REDIS_URL } from '../support/database.js';

import { waitUntil } from './support/ports.js';
import { startVerification } from '../support/verified-user.js';

const PROTOCOL = 'graphql-transport-ws';
const WATCH = `subscription($id: ID!) { verificationResult(id: $id) { status } }`;

/** Open sockets, as Node counts them: our clients' and the server's ends alike. */
const openSockets = () => process.getActiveResourcesInfo().filter((kind) => kind === 'TCPSocketWrap').length;

describe('hostile graphql-ws clients', () => {
  let app: TestApp;
  let token: string;
  let verificationId: string;
  beforeAll(async () => {
    // One user opens hundreds of sockets here on purpose: the caps have their own test (e2e/ws-caps).
    app = await startTestApp({ env: { WS_MAX_SOCKETS_PER_USER: '100000', WS_MAX_SOCKETS_PER_IP: '100000' } });
    token = await tokenFor('ws-hostile');
    const res = await startVerification(app, token);
    verificationId = res.data!.startVerification.id;
  });
  afterAll(() => app?.stop());

  const wsUrl = () => `${app.url.replace('http', 'ws')}/graphql`;

  async function open(protocol: string | string[] | undefined = PROTOCOL) {
    const socket = new WebSocket(wsUrl(), protocol);
    socket.on('error', () => {});
    const closed = new Promise<number>((resolve) => socket.once('close', resolve));
    await Promise.race([new Promise((resolve) => socket.once('open', resolve)), closed]);
    return { socket, closed };
  }

  async function initialised() {
    const connection = await open();
    connection.socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
    const [ack] = await once(connection.socket, 'message');
    expect(JSON.parse(String(ack))).toEqual({ type: 'connection_ack' });
    return connection;
  }

  async function wsGauge() {
    const metrics = await (await fetch(`${app.url}/metrics`)).text();
    return Number(/^realname_ws_connections (\S+)$/m.exec(metrics)?.[1]);
  }

  async function stillServing() {
    const res = await gql(app, `query { userAuthStatus { status } }`, {}, token);
    expect(res.data?.userAuthStatus.status).toBe('PENDING');
  }

  it.each([
    ['a text frame that is not JSON', 'not json {'],
    ['JSON that is not a message', '[1,2,3]'],
    ['a message of an unknown type', JSON.stringify({ type: 'launch_missiles' })],
    ['a subscribe without an id', JSON.stringify({ type: 'subscribe', payload: { query: '{ consentTerms { version } }' } })],
  ])('closes the socket with 4400 on %s', async (_what, frame) => {
    const { socket, closed } = await initialised();
    socket.send(frame);
    expect(await closed).toBe(CloseCode.BadRequest);
    await stillServing();
  });

  it('closes a socket that subscribes before connection_init with 4401', async () => {
    const { socket, closed } = await open();
    socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: WATCH, variables: { id: verificationId } } }));
    expect(await closed).toBe(CloseCode.Unauthorized);
    await stillServing();
  });

  it.each([
    ['no token', {}],
    ['a token of the wrong type', { authorization: 42 }],
    ['a payload that is not an object', 'Bearer x'],
    ['a forged token', { authorization: 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.' }],
  ])('closes a connection_init with %s with 4403 or 4400', async (_what, payload) => {
    const { socket, closed } = await open();
    socket.send(JSON.stringify({ type: 'connection_init', payload }));
    expect([CloseCode.Forbidden, CloseCode.BadRequest]).toContain(await closed);
    await stillServing();
  });

  it('closes a second connection_init with 4429', async () => {
    const { socket, closed } = await initialised();
    socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
    expect(await closed).toBe(CloseCode.TooManyInitialisationRequests);
  });

  it('closes a socket reusing a live subscription id with 4409', async () => {
    const { socket, closed } = await initialised();
    const subscribe = JSON.stringify({ id: 'same', type: 'subscribe', payload: { query: WATCH, variables: { id: verificationId } } });
    socket.send(subscribe);
    await once(socket, 'message'); // the current state: the first subscription is live
    socket.send(subscribe);
    expect(await closed).toBe(CloseCode.SubscriberAlreadyExists);
  });

  it.each([['an unknown subprotocol', 'chat'], ['the legacy subscriptions-transport-ws protocol', 'graphql-ws']])('refuses %s by selecting none', async (_what, protocol) => {
    const socket = new WebSocket(wsUrl(), protocol);
    const upgrade = new Promise<IncomingMessage>((resolve) => socket.once('upgrade', resolve));
    const refused = new Promise<Error>((resolve) => socket.once('error', resolve));
    let opened = false;
    socket.once('open', () => (opened = true));
    // The server accepts the upgrade without choosing a subprotocol; the client then must not speak.
    expect((await upgrade).headers['sec-websocket-protocol']).toBeUndefined();
    expect((await refused).message).toBe('Server sent no subprotocol');
    expect(opened).toBe(false);
    await stillServing();
  });

  it('closes a socket offering no subprotocol with 4406', async () => {
    const { socket, closed } = await open([]);
    expect(socket.protocol).toBe('');
    expect(await closed).toBe(CloseCode.SubprotocolNotAcceptable);
    await stillServing();
  });

  it('closes a socket sending a frame over the payload limit with 1009', async () => {
    const { socket, closed } = await initialised();
    socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: `{ consentTerms { version } } #${'x'.repeat(256 * 1024)}` } }));
    expect(await closed).toBe(1009);
    await stillServing();
  });

  it('closes a socket sending binary garbage', async () => {
    const { socket, closed } = await initialised();
    socket.send(Buffer.from([0xff, 0x00, 0xfe, 0x01]));
    expect(await closed).toBe(CloseCode.BadRequest);
  });

  it('counts no connection for sockets dropped while their connection_init is being checked', async () => {
    await Promise.all(
      Array.from({ length: 50 }, async () => {
        const { socket, closed } = await open();
        socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
        socket.terminate();
        await closed;
      }),
    );
    await stillServing();
    await waitUntil('the connection gauge to return to 0', async () => (await wsGauge()) === 0, 5_000);
  });

  it('survives 300 sockets opened and dropped, leaving no socket, connection or Redis channel behind', async () => {
    // Fill the database pool first: its connections stay open by design and are not what we count.
    await Promise.all(Array.from({ length: 30 }, () => stillServing()));
    const baseline = openSockets();
    const rssBefore = process.memoryUsage().rss;
    const probe = new Redis(TEST_REDIS_URL);

    const sockets = await Promise.all(
      Array.from({ length: 300 }, async (_, i) => {
        const connection = i % 3 === 0 ? await open() : await initialised();
        if (i % 3 === 2) {
          connection.socket.send(JSON.stringify({ id: `s${i}`, type: 'subscribe', payload: { query: WATCH, variables: { id: verificationId } } }));
          await once(connection.socket, 'message');
        }
        return connection;
      }),
    );
    const channel = `${app.config.REDIS_KEY_PREFIX}verificationResult:${verificationId}`;
    expect(await probe.pubsub('NUMSUB', channel)).toEqual([channel, 1]);
    // Half leave politely, half vanish (a dropped TCP connection).
    sockets.forEach(({ socket }, i) => (i % 2 ? socket.close() : socket.terminate()));
    await Promise.all(sockets.map((s) => s.closed));

    await stillServing();
    await waitUntil('every socket to close', () => openSockets() <= baseline);
    await waitUntil('the Redis channel to be dropped', async () => (await probe.pubsub('NUMSUB', channel))[1] === 0);
    await probe.quit();
    expect(await wsGauge()).toBe(0);
    // Generous: the point is "returns", not a tight number; a leak of 300 connections would hold far more.
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(64 * 1024 * 1024);
  });
});
