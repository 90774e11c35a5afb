import type { Attributes } from '@opentelemetry/api';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';

/**
 * The attributes a span may leave the process with; everything else is dropped on the way out.
 * An allowlist, not a denylist: an instrumentation that starts recording something new (a header,
 * the client's address, a user agent) sends nothing until it is listed here. Request and response
 * bodies, headers and GraphQL variables are never recorded in the first place.
 */
const EXPORTED = new Set([
  'http.request.method',
  'http.request.method_original',
  'http.response.status_code',
  'http.route',
  'url.scheme',
  'url.path',
  'url.full',
  'server.address',
  'server.port',
  'network.protocol.version',
  'error.type',
  'db.system.name',
  'db.operation.name',
  'db.collection.name',
  'db.query.text',
  'graphql.operation.name',
  'graphql.operation.type',
  // With `allowValues: false` every literal in the document is `*`.
  'graphql.source',
  'graphql.field.name',
  'graphql.field.path',
  'graphql.field.type',
  'graphql.parent.name',
]);

/** Path segments that look like an id or a token (certify ids, UUIDs, hashes) become `:id`. */
const ID_SEGMENT = /^(?=.*\d)[\w-]{12,}$|^[\w-]{24,}$/;

/** A path without its query string, fragment and id-like segments: callback URLs carry the token and certifyId in their query. */
export function scrubPath(path: string): string {
  const bare = path.split(/[?#]/, 1)[0]!;
  return bare
    .split('/')
    .map((segment) => (ID_SEGMENT.test(segment) ? ':id' : segment))
    .join('/');
}

function scrubUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${scrubPath(parsed.pathname)}`;
  } catch {
    return scrubPath(url);
  }
}

export function redactAttributes(attributes: Attributes): Attributes {
  const kept: Attributes = {};
  for (const [key, value] of Object.entries(attributes)) {
    if (!EXPORTED.has(key) && !key.startsWith('realname.')) continue;
    if (key === 'url.path' && typeof value === 'string') kept[key] = scrubPath(value);
    else if (key === 'url.full' && typeof value === 'string') kept[key] = scrubUrl(value);
    else kept[key] = value;
  }
  return kept;
}

/**
 * The span as it is exported: allowed attributes only, no status message, exception events with
 * their type alone (messages and stacks can quote input), links without attributes.
 */
export function redactSpan(span: ReadableSpan): ReadableSpan {
  return {
    name: span.name,
    kind: span.kind,
    spanContext: () => span.spanContext(),
    parentSpanContext: span.parentSpanContext,
    startTime: span.startTime,
    endTime: span.endTime,
    status: { code: span.status.code },
    attributes: redactAttributes(span.attributes),
    links: span.links.map((link) => ({ context: link.context })),
    events: span.events.map((event) => ({
      name: event.name,
      time: event.time,
      droppedAttributesCount: 0,
      attributes: event.attributes?.['exception.type'] === undefined ? {} : { 'exception.type': event.attributes['exception.type'] },
    })),
    duration: span.duration,
    ended: span.ended,
    resource: span.resource,
    instrumentationScope: span.instrumentationScope,
    droppedAttributesCount: span.droppedAttributesCount,
    droppedEventsCount: span.droppedEventsCount,
    droppedLinksCount: span.droppedLinksCount,
  };
}

/** Every span passes through redactSpan before `exporter` sees it. */
export function redactingExporter(exporter: SpanExporter): SpanExporter {
  return {
    export: (spans, done) => exporter.export(spans.map(redactSpan), done),
    shutdown: () => exporter.shutdown(),
    forceFlush: exporter.forceFlush ? () => exporter.forceFlush!() : undefined,
  };
}
