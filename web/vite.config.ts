import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

// One workspace for every page the service serves: one HTML entry per app (/demo, /graphiql, and
// the operator console's /admin beside them), sharing React and the client in hashed assets.
export default defineConfig({
  root: here('.'),
  base: '/',
  // The client package and the service's own domain rules (GB 11643) are compiled from source:
  // shared code, not a copy.
  resolve: {
    alias: {
      '@weiaibang/realname-client': here('../packages/client/src/index.ts'),
      '@realname/domain': here('../src/domain'),
    },
  },
  esbuild: { jsx: 'automatic' },
  build: {
    outDir: here('dist'),
    emptyOutDir: true,
    target: 'es2020',
    chunkSizeWarningLimit: 2048,
    rollupOptions: {
      input: {
        demo: here('demo/index.html'),
        admin: here('admin/index.html'),
        graphiql: here('graphiql/index.html'),
      },
      output: {
        manualChunks: (id) => (/node_modules\/(react|react-dom|scheduler)\//.test(id) ? 'react' : undefined),
      },
    },
  },
});
