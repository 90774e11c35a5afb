import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { compiled, root, serviceEntry } from '../../support/dist.js';
import { waitUntil } from './ports.js';

export interface ServiceProcess {
  readonly child: ChildProcess;
  readonly url: string;
  output(): string;
  /** SIGKILL: no shutdown hook runs, in-flight work is simply gone. */
  kill(): Promise<void>;
  /** SIGTERM and wait. */
  stop(): Promise<void>;
}

/** What `npm start` runs (`dist/bundle/main.js`) in a child process with exactly `env` (plus PATH), healthy on `port` before it returns. */
export function spawnService(port: number, env: Record<string, string>): Promise<ServiceProcess> {
  return spawnEntry(serviceEntry, `http://127.0.0.1:${port}/healthz`, { HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn', ...env });
}

/** The emulator's entry point, compiled, in a child process: the emulator outside the process under test. */
export function spawnSandbox(port: number): Promise<ServiceProcess> {
  // The emulator answers its root with a cloudauth error: any answer means it is up.
  return spawnEntry(compiled('src/sandbox-main.ts'), `http://127.0.0.1:${port}/`, { SANDBOX_PORT: String(port), SANDBOX_ALLOW_HTTP_CALLBACKS: 'true' }, () => true);
}

async function spawnEntry(script: string, probe: string, env: Record<string, string>, healthy = (res: Response) => res.ok): Promise<ServiceProcess> {
  const child = spawn(process.execPath, [script], {
    cwd: root,
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const url = new URL(probe).origin;
  const signal = async (name: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill(name);
    await exited;
  };
  try {
    await waitUntil('the service to be healthy', async () => {
      if (child.exitCode !== null) throw new Error(`service exited: ${output}`);
      return healthy(await fetch(probe));
    }, 45_000, 200);
  } catch (error) {
    await signal('SIGKILL');
    throw new Error(`${(error as Error).message}\n${output}`);
  }
  return { child, url, output: () => output, kill: () => signal('SIGKILL'), stop: () => signal('SIGTERM') };
}
