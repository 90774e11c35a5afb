import { ConfigError, loadConfig, tracesEnabled } from './config.js';
import { createLogger } from './logger.js';

try {
  const config = loadConfig();
  const log = createLogger(config.LOG_LEVEL);
  // Before the app's modules are imported, so that the instrumentations see node:http, graphql and
  // ioredis load. Without an endpoint nothing of the SDK is ever loaded.
  const tracing = tracesEnabled(config) ? (await import('./telemetry/tracing.js')).startTracing(config, log) : undefined;
  const { createApp } = await import('./app.js');
  const app = await createApp(config, { logger: log });
  const stop = (signal: string) => {
    log.info({ signal }, 'stopping');
    app
      .close()
      .then(() => tracing?.shutdown())
      .then(
        () => process.exit(0),
        () => process.exit(1),
      );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(78);
  }
  throw error;
}

