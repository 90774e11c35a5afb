import type { PGlite, Transaction as PgliteTransaction } from '@electric-sql/pglite';
import { context, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import type { Sql } from 'postgres';
import { inSpan, tracer } from './spans.js';

/**
 * postgres.js and PGlite have no OpenTelemetry instrumentation, so the clients drizzle is given are
 * wrapped here: a span per statement, carrying the statement as drizzle wrote it, with `$1…`
 * placeholders (the values travel apart and are never recorded), and one per transaction around
 * its statements. Only inside a trace (a request, a GraphQL operation, a reconciler run): the
 * audit sealer's and the metrics' queries every few seconds would otherwise each be a trace.
 */
export function traceQueries(client: Sql): Sql {
  return new Proxy(client, {
    get(target, property, receiver) {
      if (property === 'unsafe') {
        return (...args: Parameters<Sql['unsafe']>) => {
          const query = target.unsafe(...args);
          const span = startQuerySpan(args[0]);
          if (!span) return query;
          // Lazy, like the pool watcher sees it: the statement is sent when first awaited.
          const then = query.then.bind(query);
          let watched = false;
          query.then = ((onFulfilled, onRejected) => {
            if (!watched) {
              watched = true;
              void then(() => span.end(), (error: unknown) => endFailed(span, error));
            }
            return then(onFulfilled, onRejected);
          }) as typeof query.then;
          return query;
        };
      }
      if (property === 'begin' || property === 'savepoint') {
        return (...args: unknown[]) => {
          const run = args.pop() as (tx: Sql) => unknown;
          const begin = Reflect.get(target, property, receiver) as (...a: unknown[]) => Promise<unknown>;
          if (!trace.getSpan(context.active())) return begin(...args, (tx: Sql) => run(traceQueries(tx)));
          return inSpan(property === 'begin' ? 'transaction' : 'savepoint', { kind: SpanKind.CLIENT, attributes: { 'db.system.name': 'postgresql' } }, () =>
            begin(...args, (tx: Sql) => run(traceQueries(tx))),
          );
        };
      }
      return Reflect.get(target, property, receiver) as unknown;
    },
  });
}

/** The same for the embedded database. */
export function tracePglite<T extends PGlite | PgliteTransaction>(client: T): T {
  return new Proxy(client, {
    get(target, property, receiver) {
      if (property === 'query') {
        return async (...args: Parameters<PGlite['query']>) => {
          const span = startQuerySpan(args[0]);
          try {
            const result = await (target.query as PGlite['query'])(...args);
            span?.end();
            return result;
          } catch (error) {
            if (span) endFailed(span, error);
            throw error;
          }
        };
      }
      if (property === 'transaction') {
        return (run: (tx: PgliteTransaction) => Promise<unknown>) => {
          const begin = () => (target as PGlite).transaction((tx) => run(tracePglite(tx)));
          if (!trace.getSpan(context.active())) return begin();
          return inSpan('transaction', { kind: SpanKind.CLIENT, attributes: { 'db.system.name': 'postgresql' } }, begin);
        };
      }
      return Reflect.get(target, property, receiver) as unknown;
    },
  });
}

const OPERATION = /^\s*([a-z]+)/i;
const COLLECTION = /\b(?:from|into|update)\s+"?([\w.]+)"?/i;

/** `select … from "verifications" where "id" = $1` → span `SELECT verifications`. */
export function describeStatement(statement: string) {
  const operation = OPERATION.exec(statement)?.[1]?.toUpperCase() ?? 'QUERY';
  const collection = COLLECTION.exec(statement)?.[1];
  return { name: collection ? `${operation} ${collection}` : operation, operation, collection };
}

function startQuerySpan(statement: string): Span | undefined {
  if (!trace.getSpan(context.active())) return undefined;
  const { name, operation, collection } = describeStatement(statement);
  return tracer.startSpan(name, {
    kind: SpanKind.CLIENT,
    attributes: {
      'db.system.name': 'postgresql',
      'db.operation.name': operation,
      'db.query.text': statement,
      ...(collection && { 'db.collection.name': collection }),
    },
  });
}

function endFailed(span: Span, error: unknown) {
  span.setStatus({ code: SpanStatusCode.ERROR });
  // postgres.js errors carry PostgreSQL's SQLSTATE in `code` (23505 and the like), never values.
  const code = (error as { code?: unknown }).code;
  span.setAttribute('error.type', typeof code === 'string' ? code : error instanceof Error ? error.name : 'Error');
  span.end();
}
