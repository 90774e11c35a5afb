import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = fileURLToPath(new URL('../../', import.meta.url));
const web = join(root, 'web');
const lock = join(web, '.build.lock');
const stamp = join(web, 'dist', '.sources');

/** Newest modification time of the sources the pages are built from. */
function sourcesFingerprint(): string {
  let newest = 0;
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === 'dist' || entry.name === 'node_modules' || entry.name === 'gql' || entry.name.startsWith('.')) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else newest = Math.max(newest, statSync(path).mtimeMs);
    }
  };
  walk(web);
  walk(join(root, 'packages', 'client', 'src'));
  return String(Math.max(newest, statSync(join(root, 'schema.graphql')).mtimeMs));
}

/**
 * The pages as `npm run build` makes them (Vite, into web/dist), built at most once for the sources
 * at hand: browser test files run in parallel and serve the same web/dist, so a second build while
 * another file's browser loads assets would pull them from under it. A lock directory serialises
 * builders; the stamp lets later ones skip.
 */
export async function buildPagesOnce(): Promise<void> {
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // Someone else is building; a lock older than 5 minutes belongs to a run that died.
      try {
        if (Date.now() - statSync(lock).mtimeMs > 300_000) rmSync(lock, { recursive: true, force: true });
      } catch {
        // gone meanwhile
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  try {
    const fingerprint = sourcesFingerprint();
    let built = '';
    try {
      built = readFileSync(stamp, 'utf8');
    } catch {
      // never built
    }
    if (built === fingerprint) return;
    const vite = join(root, 'node_modules', 'vite', 'bin', 'vite.js');
    await promisify(execFile)(process.execPath, [vite, 'build', '--logLevel', 'error'], { cwd: web });
    writeFileSync(stamp, fingerprint);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
