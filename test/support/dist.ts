import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Tests that spawn the service run what `npm start` runs: the bundle built from the compiled
 * `dist/`, not the sources through tsx. This global setup builds both once per test run (`npm run
 * build:server`: tsc, incremental, so an unchanged tree writes nothing; then the bundle, ~1 s).
 */
export const root = fileURLToPath(new URL('../../', import.meta.url));

/** The compiled form of a source entry point, e.g. `src/main.ts` → `<root>/dist/src/main.js`. */
export const compiled = (source: string) => join(root, 'dist', source.replace(/\.ts$/, '.js'));

/** What `npm start` runs: `src/main.ts`, compiled, then bundled (scripts/bundle-server.mjs). */
export const serviceEntry = join(root, 'dist', 'bundle', 'main.js');

export function setup() {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  try {
    execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'pipe' });
  } catch (error) {
    // tsc still emits on type errors; `npm run typecheck` is where those fail. Only a missing
    // build stops the run.
    const output = String((error as { stdout?: Buffer }).stdout ?? error);
    if (!existsSync(compiled('src/main.ts'))) throw new Error(`npm run build:server failed:\n${output}`);
    console.warn(`npm run build:server reported errors (dist/ was still emitted):\n${output}`);
  }
  execFileSync(process.execPath, [join(root, 'scripts', 'bundle-server.mjs')], { cwd: root, stdio: 'pipe' });
}
