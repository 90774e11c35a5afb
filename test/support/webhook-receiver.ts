import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { verifyWebhookSignature } from '@weiaibang/realname-client';

export const TEST_WEBHOOK_SECRET = 'whsec-test-0123456789abcdefghijklmnopqrstuvwxyz';

export interface ReceivedEvent {
  id: string;
  type: string;
  occurredAt: string;
  userId: string;
  data: Record<string, unknown>;
}

/**
 * The letter platform's end, as a receiver should write it: every request's signature is checked
 * with the client package's helper against the raw body (its clock is the app's, which tests move),
 * and only verified events are kept. `state` takes it away: `down` stops listening (connections are
 * refused), `unavailable` answers 503.
 */
export async function startWebhookReceiver(now: () => Date, secret = TEST_WEBHOOK_SECRET) {
  const received: ReceivedEvent[] = [];
  const rawBodies: string[] = [];
  let rejected = 0;
  let state: 'up' | 'unavailable' | 'down' = 'up';
  const sockets = new Set<Socket>();
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const rawBody = Buffer.concat(chunks).toString('utf8');
    if (state === 'unavailable') return res.writeHead(503).end();
    const check = await verifyWebhookSignature(req.headers['realname-signature'] as string | undefined, rawBody, secret, { now: now() });
    if (!check.ok) {
      rejected++;
      return res.writeHead(400).end();
    }
    rawBodies.push(rawBody);
    received.push(JSON.parse(rawBody) as ReceivedEvent);
    res.writeHead(204).end();
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const stop = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
  return {
    url: `http://127.0.0.1:${port}/hooks/realname`,
    received,
    rawBodies,
    get rejected() {
      return rejected;
    },
    async setState(next: 'up' | 'unavailable' | 'down') {
      if (next === 'down' && state !== 'down') await stop();
      if (next !== 'down' && state === 'down') await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
      state = next;
    },
    close: () => (state === 'down' ? Promise.resolve() : stop()),
  };
}

export type WebhookReceiver = Awaited<ReturnType<typeof startWebhookReceiver>>;
