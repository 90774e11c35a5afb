import { SpanKind, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';

/**
 * The service's own spans. Without `OTEL_EXPORTER_OTLP_ENDPOINT` no SDK is registered and this is
 * @opentelemetry/api's no-op tracer: spans cost an object each and go nowhere.
 */
export const tracer = trace.getTracer('realname');

/** Span attributes of our own, beside OpenTelemetry's semantic conventions. */
export const ATTR = {
  requestId: 'realname.request_id',
  verificationId: 'realname.verification_id',
  providerAction: 'realname.provider.action',
  providerMode: 'realname.provider.mode',
  providerOutcome: 'realname.provider.outcome',
  providerCode: 'realname.provider.code',
} as const;

/**
 * Runs `run` in a new active span that ends when it settles. A failure marks the span with its
 * error type only: messages and stacks can carry what a span must not.
 */
export async function inSpan<T>(name: string, options: { kind?: SpanKind; attributes?: Attributes }, run: (span: Span) => Promise<T>): Promise<T> {
  return tracer.startActiveSpan(name, { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes }, async (span) => {
    try {
      return await run(span);
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR });
      span.setAttribute('error.type', error instanceof Error ? error.name : 'Error');
      throw error;
    } finally {
      span.end();
    }
  });
}
