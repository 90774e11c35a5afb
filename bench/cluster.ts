/**
 * The bench's own PostgreSQL cluster: initdb into bench/.work/pg, its own port on 127.0.0.1 and its
 * own `shared_buffers`, so growth is measured with the working set in PostgreSQL's memory, as a
 * production database would have it, without touching the machine's shared instance. Found through
 * `pg_config --bindir` (or `/usr/lib/postgresql/<n>/bin`); when there is none, the harness uses
 * BENCH_POSTGRES_URL's server as before.
 */
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { userInfo } from 'node:os';

export interface BenchCluster {
  url: string;
  sharedBuffers: string;
  stop(): void;
}

function binDir(): string | undefined {
  try {
    const dir = execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();
    if (existsSync(join(dir, 'initdb'))) return dir;
  } catch {
    // no pg_config on the PATH: look where Debian puts the server
  }
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], 'bin') : undefined;
}

/** PostgreSQL refuses to run as root: as root, the cluster is the `postgres` user's. */
function runAs(): { uid: number; gid: number; user: string } | undefined {
  if (userInfo().uid !== 0) return undefined;
  const line = execFileSync('getent', ['passwd', 'postgres'], { encoding: 'utf8' }).split(':');
  return { user: 'postgres', uid: Number(line[2]), gid: Number(line[3]) };
}

export function startCluster(workDir: string, port: number, sharedBuffers: string): BenchCluster | undefined {
  const bin = binDir();
  if (!bin) return undefined;
  const as = runAs();
  const data = resolve(workDir, 'pg');
  const sockets = resolve(workDir, 'pg-sockets');
  rmSync(data, { recursive: true, force: true });
  mkdirSync(data, { recursive: true });
  mkdirSync(sockets, { recursive: true });
  if (as) for (const dir of [data, sockets]) chownSync(dir, as.uid, as.gid);
  const run = (tool: string, args: string[]) =>
    as ? execFileSync('runuser', ['-u', as.user, '--', join(bin, tool), ...args], { stdio: 'pipe' }) : execFileSync(join(bin, tool), args, { stdio: 'pipe' });
  run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
  const settings = [
    `-p ${port}`,
    `-c listen_addresses=127.0.0.1`,
    `-c unix_socket_directories=${sockets}`,
    `-c shared_buffers=${sharedBuffers}`,
    `-c max_connections=200`,
  ].join(' ');
  run('pg_ctl', ['-D', data, '-l', join(data, 'server.log'), '-o', settings, '-w', 'start']);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    sharedBuffers,
    stop: () => {
      run('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
    },
  };
}
