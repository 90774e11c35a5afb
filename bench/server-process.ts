/**
 * A benchmark server in its own process, so the load generator does not share its event loop:
 * `createApp(loadConfig(process.env))` compiled into `dist/` (what `npm start` runs; built by
 * `npm run bench`'s prebench), plus a small IPC protocol for what the harness must read
 * from inside (memory, a CPU profile, callback arrival times) or do there (complete a sandbox session).
 */
import 'reflect-metadata';
import { subscribe } from 'node:diagnostics_channel';
import { createWriteStream } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { Session } from 'node:inspector/promises';

// Compiled with the service (tsconfig.build.json), then bundled as `npm start`'s service is
// (scripts/bundle-server.mjs, into dist/bench-bundle/): the process loads what production loads,
// neither tsx nor Node's type stripper.
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';

export type ServerCommand =
  | { cmd: 'memory' }
  | { cmd: 'profile-start' }
  | { cmd: 'profile-stop' }
  | { cmd: 'complete'; certifyIds: string[] }
  | { cmd: 'callback-receipts' }
  | { cmd: 'heap-snapshot'; path: string }
  | { cmd: 'close' };

const app = await createApp(loadConfig(process.env));
const now = () => performance.timeOrigin + performance.now();

// "Callback receipt": the moment the HTTP request reaches the server, before any of our code runs;
// and when its response went out (the record moved and the result published).
const receipts = new Map<string, { received: number; answered?: number }>();
// Express strips its mount path from `url` while routing; `originalUrl` keeps it.
const certifyIdOf = (request: IncomingMessage & { originalUrl?: string }) => {
  const url = request.originalUrl ?? request.url;
  return url?.startsWith('/callbacks/aliyun') ? new URL(url, 'http://x').searchParams.get('certifyId') : null;
};
subscribe('http.server.request.start', (message) => {
  const certifyId = certifyIdOf((message as { request: IncomingMessage }).request);
  if (certifyId) receipts.set(certifyId, { received: now() });
});
subscribe('http.server.response.finish', (message) => {
  const certifyId = certifyIdOf((message as { request: IncomingMessage }).request);
  const receipt = certifyId ? receipts.get(certifyId) : undefined;
  if (receipt) receipt.answered = now();
});

const inspector = new Session();
inspector.connect();

async function handle(message: ServerCommand): Promise<unknown> {
  switch (message.cmd) {
    case 'memory':
      globalThis.gc?.();
      return process.memoryUsage();
    case 'profile-start':
      await inspector.post('Profiler.enable');
      await inspector.post('Profiler.setSamplingInterval', { interval: 200 });
      await inspector.post('Profiler.start');
      return null;
    case 'profile-stop': {
      const { profile } = await inspector.post('Profiler.stop');
      await inspector.post('Profiler.disable');
      return profile;
    }
    case 'complete':
      // Fired without waiting: the sandbox calls back like Aliyun, and the harness paces the calls.
      for (const certifyId of message.certifyIds) void app.sandbox!.complete(certifyId, 'pass');
      return null;
    case 'callback-receipts':
      return Object.fromEntries(receipts);
    case 'heap-snapshot': {
      const out = createWriteStream(message.path);
      const write = (m: { params: { chunk: string } }) => out.write(m.params.chunk);
      inspector.on('HeapProfiler.addHeapSnapshotChunk', write);
      await inspector.post('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
      inspector.off('HeapProfiler.addHeapSnapshotChunk', write);
      await new Promise((resolve) => out.end(resolve));
      return message.path;
    }
    case 'close':
      await app.close();
      setImmediate(() => process.exit(0));
      return null;
  }
}

process.on('message', (raw) => {
  const { id, ...message } = raw as ServerCommand & { id: number };
  handle(message).then(
    (value) => process.send!({ id, value }),
    (error: Error) => process.send!({ id, error: error.message }),
  );
});
process.send!({ ready: true, url: app.url, pid: process.pid });
