import { loadConfig } from './config.js';
import { startSandbox } from './providers/sandbox/sandbox.server.js';

// Only the sandbox's own variables: running it alone must not demand the service's production keys.
const config = loadConfig({
  SANDBOX_PORT: process.env.SANDBOX_PORT,
  SANDBOX_URL: process.env.SANDBOX_URL,
  SANDBOX_ACCESS_KEY_ID: process.env.SANDBOX_ACCESS_KEY_ID,
  SANDBOX_ACCESS_KEY_SECRET: process.env.SANDBOX_ACCESS_KEY_SECRET,
});

const sandbox = await startSandbox({
  port: config.SANDBOX_PORT,
  host: process.env.SANDBOX_HOST ?? '127.0.0.1',
  accessKeyId: config.SANDBOX_ACCESS_KEY_ID,
  accessKeySecret: config.SANDBOX_ACCESS_KEY_SECRET,
  publicUrl: config.SANDBOX_URL,
  // Aliyun calls back https only; SANDBOX_ALLOW_HTTP_CALLBACKS=true lets a local service without https be called.
  allowHttpCallbacks: process.env.SANDBOX_ALLOW_HTTP_CALLBACKS === 'true',
});
console.log(`cloudauth sandbox listening on ${sandbox.url} (access key id ${config.SANDBOX_ACCESS_KEY_ID})`);

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    sandbox.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
