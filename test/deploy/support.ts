import { execFile } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

export const run = promisify(execFile);

/** The exit code and output of a command, whether it succeeded or not. */
export async function outcome(file: string, args: string[], options: { cwd?: string } = {}) {
  try {
    const { stdout, stderr } = await run(file, args, { ...options, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code?: number | string; stdout?: string; stderr?: string };
    if (failed.code === 'ENOENT') throw new Error(`${file} is not installed (Debian: see .ci/run)`);
    return { code: Number(failed.code ?? 1), output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

const made: string[] = [];
export const tempDir = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), `realname-${prefix}-`));
  made.push(dir);
  return dir;
};
/** For afterAll: removes every directory tempDir made. */
export const removeTempDirs = () => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
};

/** A self-signed certificate for `localhost`, made for one test. */
export async function makeCertificate(dir: string) {
  mkdirSync(dir, { recursive: true });
  await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', join(dir, 'realname.key'), '-out', join(dir, 'realname.crt')]);
}

/**
 * A runnable nginx around the real deploy/nginx/realname.conf, in `dir`: its own pid and logs, the
 * replicas given, and the listen ports moved off 80/443 (the only change made to the file).
 */
export async function nginxPrefix(dir: string, config: string, { replicas, httpPort, httpsPort }: { replicas: string[]; httpPort: number; httpsPort: number }) {
  await makeCertificate(join(dir, 'tls'));
  mkdirSync(join(dir, 'logs'), { recursive: true });
  const site = config
    .replace('listen 80;', `listen 127.0.0.1:${httpPort};`)
    .replace('listen [::]:80;', '')
    .replace('listen 443 ssl http2;', `listen 127.0.0.1:${httpsPort} ssl http2;`)
    .replace('listen [::]:443 ssl http2;', '');
  writeFileSync(join(dir, 'realname.conf'), site);
  writeFileSync(join(dir, 'realname-upstream.conf'), `upstream realname {\n${replicas.map((r) => `    server ${r} max_fails=1 fail_timeout=5s;\n`).join('')}}\n`);
  writeFileSync(
    join(dir, 'nginx.conf'),
    `daemon off;\nworker_processes 1;\npid ${join(dir, 'nginx.pid')};\nerror_log ${join(dir, 'logs', 'error.log')} warn;\nevents { worker_connections 1024; }\n` +
      `http {\n  access_log ${join(dir, 'logs', 'access.log')};\n  client_body_temp_path ${join(dir, 'body')};\n  proxy_temp_path ${join(dir, 'proxy')};\n` +
      `  include realname.conf;\n}\n`,
  );
  return join(dir, 'nginx.conf');
}
