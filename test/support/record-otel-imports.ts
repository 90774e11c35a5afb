import { registerHooks } from 'node:module';

/**
 * Preloaded into a spawned service (`NODE_OPTIONS=--import=<this file>`): prints a line to stderr
 * for every module of the OpenTelemetry SDK, exporters or instrumentations it resolves, so a test
 * can tell whether the SDK was loaded at all (@opentelemetry/api alone is the no-op).
 */
const SDK = /\/@opentelemetry\/(?!api\/)[^/]+\//;
const seen = new Set<string>();

registerHooks({
  resolve(specifier, context, nextResolve) {
    const resolved = nextResolve(specifier, context);
    const pkg = SDK.exec(resolved.url)?.[0];
    if (pkg && !seen.has(pkg)) {
      seen.add(pkg);
      process.stderr.write(`otel module loaded: ${pkg}\n`);
    }
    return resolved;
  },
});
