// @ts-check
/**
 * `npm run build:server`, after tsc: the compiled service (`dist/src/main.js`) bundled into
 * `dist/bundle/`, which `npm start` and the image run. Loading the module graph file by file costs
 * ~130 MB of RSS that the process keeps: Node's ESM resolver parses a package's `exports` map again
 * for each of its files (drizzle-orm's has 447 entries), and V8 holds on to the heap that garbage
 * grew. One bundle starts in half the time at half the memory (bench/NOTES.md).
 *
 * From tsc's output, not the sources: type-graphql reads the decorator metadata that tsc emits and
 * esbuild does not. `node scripts/bundle-server.mjs [--entry=<compiled entry>] [--outdir=<dir>]`.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const arg = (name, fallback) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;

/**
 * Left to Node, each for a reason:
 * - graphql, ioredis, @opentelemetry/*, *-in-the-middle: tracing patches graphql and ioredis as Node
 *   loads them (main.ts starts it before it imports the app); bundled, they would never be loaded.
 * - @electric-sql/pglite: finds its WebAssembly and data files next to its own modules.
 * - pino: its transports start workers from files beside it.
 */
const external = ['graphql', 'ioredis', '@opentelemetry/*', 'import-in-the-middle', 'require-in-the-middle', '@electric-sql/pglite', 'pino'];

const outdir = arg('outdir', 'dist/bundle');
// Chunk names carry a hash: the last build's would pile up.
rmSync(join(root, outdir), { recursive: true, force: true });

await build({
  absWorkingDir: root,
  // Named after the entry: dist/bundle/main.js.
  entryPoints: [arg('entry', 'dist/src/main.js')],
  outdir,
  bundle: true,
  // Chunks, so what main.ts imports lazily (tracing, then the app) still loads only when it asks.
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node24',
  external,
  // No keepNames: it gives every closure created at run time its own `name` property (~4 KB per
  // idle subscription). The bundle renames classes (AdminAttempt2), so each GraphQL type names
  // itself in its decorator instead of taking its class's name; the process test compares the
  // served schema with schema.graphql.
  // The CommonJS packages inside call require() for Node's own modules.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  sourcemap: 'linked',
  legalComments: 'linked',
  logLevel: 'warning',
});
