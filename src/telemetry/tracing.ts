import { context, propagation, trace, type Span } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { GraphQLInstrumentation } from '@opentelemetry/instrumentation-graphql';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { detectResources, envDetector, hostDetector, resourceFromAttributes, serviceInstanceIdDetector } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
  type Sampler,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace';
import { register as registerImportHooks, supportsSyncHooks } from 'import-in-the-middle/register-hooks.mjs';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { currentScope } from './context.js';
import { redactingExporter } from './span-redaction.js';
import { ATTR } from './spans.js';

/**
 * Loaded only when OTEL_EXPORTER_OTLP_ENDPOINT is set, by main.ts, before it imports the app: the
 * instrumentations patch node:http, graphql and ioredis as those modules load. graphql's own files
 * are CommonJS `require`s, which require-in-the-middle sees; ioredis and node:http are imported by
 * our ES modules, which only an ESM loader hook sees (import-in-the-middle, in-thread through
 * `module.registerHooks`, limited to those modules).
 */
export interface Tracing {
  /** Sends what is buffered; never rejects (a collector that is away costs the spans, not the exit). */
  shutdown(): Promise<void>;
}

/** Probes and scrapes are not traced, as they are not logged. */
const UNTRACED_PATHS = new Set(['/healthz', '/readyz', '/metrics']);
/** Incoming requests get `METHOD route` names for these; any other path stays `METHOD`. */
const ROUTES = new Set(['/graphql', '/callbacks/aliyun', '/face-captures', '/return', '/demo', '/admin', '/graphiql']);
const ESM_INSTRUMENTED = ['ioredis', 'node:http', 'http', 'node:https', 'https'];

export function startTracing(config: Config, log: Logger): Tracing {
  if (supportsSyncHooks()) registerImportHooks({ include: ESM_INSTRUMENTED });
  else log.warn({ node: process.version }, 'tracing: this Node has no usable module.registerHooks (24.11.1 or later does); HTTP and Redis spans are missing');

  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  // Trace context only: baggage would carry whatever a caller put in it on to Aliyun.
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());

  const provider = new TracerProvider({
    resource: detectResources({ detectors: [envDetector, hostDetector, serviceInstanceIdDetector] }).merge(
      resourceFromAttributes({ 'service.name': config.OTEL_SERVICE_NAME }),
    ),
    sampler: samplerOf(config.OTEL_TRACES_SAMPLER, config.OTEL_TRACES_SAMPLER_ARG),
    // Statements and GraphQL documents are the long attributes; nothing else comes close.
    spanLimits: { attributeValueLengthLimit: 4096, attributeCountLimit: 64, eventCountLimit: 16, linkCountLimit: 8 },
    spanProcessors: [
      scopeAttributes,
      // The exporter reads the other OTEL_EXPORTER_OTLP_* variables itself (headers, timeout, a traces-only endpoint).
      new BatchSpanProcessor({ exporter: redactingExporter(new OTLPTraceExporter()) }),
    ],
  });
  trace.setGlobalTracerProvider(provider);

  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (request) => UNTRACED_PATHS.has(pathOf(request.url)),
        requestHook: (span, request) => {
          // An incoming request (a ClientRequest has setHeader): name it after its route when it has one.
          if ('setHeader' in request) return;
          const path = pathOf(request.url);
          if (ROUTES.has(path)) nameAfterRoute(span, request.method ?? 'GET', path);
        },
      }),
      new GraphQLInstrumentation({
        // The defaults, said out loud: literals in the document become `*`, variables are never read.
        allowValues: false,
        // Root fields only, and lists as `items.*`: a page of results is not a span per row.
        depth: 1,
        mergeItems: true,
        ignoreTrivialResolveSpans: true,
      }),
      new IORedisInstrumentation({
        // The command's name alone: keys hold user ids and blind indexes, arguments hold payloads.
        dbStatementSerializer: (command) => command,
        requireParentSpan: true,
      }),
    ],
  });
  log.info({ sampler: config.OTEL_TRACES_SAMPLER }, 'tracing: spans exported over OTLP');

  return {
    shutdown: () =>
      provider.shutdown().catch((error: Error) => {
        log.warn({ err: { type: error.name } }, 'tracing: spans not sent at shutdown');
      }),
  };
}

/**
 * Spans started while a request is known to be about one verification name it, as its log lines
 * do (src/telemetry/context.ts): the provider's HTTP attempts, statements, Redis commands.
 */
const scopeAttributes: SpanProcessor = {
  onStart(span) {
    const verificationId = currentScope()?.verificationId;
    if (verificationId) span.setAttribute(ATTR.verificationId, verificationId);
  },
  onEnd() {},
  forceFlush: async () => {},
  shutdown: async () => {},
};

function samplerOf(name: Config['OTEL_TRACES_SAMPLER'], ratio: number): Sampler {
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio);
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) });
  }
}

function nameAfterRoute(span: Span, method: string, route: string) {
  span.updateName(`${method} ${route}`);
  span.setAttribute('http.route', route);
}

const pathOf = (url: string | undefined) => (url ?? '/').split('?', 1)[0]!;
