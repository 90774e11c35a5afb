import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openPglite, openPostgres, type DatabaseHandle } from '../../src/db/database.js';
import { describeStatement } from '../../src/telemetry/query-spans.js';
import { tracer } from '../../src/telemetry/spans.js';
import { createTestDatabase } from '../support/database.js';

const exporter = new InMemorySpanExporter();
const SECRET = '110101199003077777';

describe('statement spans at the database boundary', () => {
  let pg: { url: string; drop(): Promise<void> };
  const handles: Record<string, DatabaseHandle> = {};

  beforeAll(async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    trace.setGlobalTracerProvider(new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] }));
    pg = await createTestDatabase();
    handles.postgres = await openPostgres(pg.url, { max: 2, traced: true });
    handles.pglite = await openPglite(undefined, { traced: true });
  });
  afterAll(async () => {
    await Promise.all(Object.values(handles).map((h) => h.close()));
    await pg?.drop();
    trace.disable();
    context.disable();
  });
  beforeEach(() => exporter.reset());

  describe.each(['postgres', 'pglite'])('%s', (kind) => {
    it('records each statement with its placeholders and never its values, under the active span', async () => {
      const { db } = handles[kind]!;
      await tracer.startActiveSpan('request', async (request) => {
        await db.execute(sql`select ${SECRET}::text as value`);
        await db.transaction(async (tx) => {
          await tx.execute(sql`select ${SECRET}::text as again`);
        });
        request.end();
      });
      const spans = exporter.getFinishedSpans();
      const request = spans.find((s) => s.name === 'request')!;
      const statements = spans.filter((s) => s.attributes['db.system.name'] === 'postgresql' && s.name === 'SELECT');
      expect(statements.map((s) => s.attributes['db.query.text'])).toEqual(['select $1::text as value', 'select $1::text as again']);
      const transaction = spans.find((s) => s.name === 'transaction')!;
      expect(statements[0]!.parentSpanContext?.spanId).toBe(request.spanContext().spanId);
      expect(statements[1]!.parentSpanContext?.spanId).toBe(transaction.spanContext().spanId);
      expect(JSON.stringify(spans.map((s) => [s.name, s.attributes, s.events]))).not.toContain(SECRET);
    });

    it('records nothing outside a trace', async () => {
      await handles[kind]!.db.execute(sql`select 1`);
      expect(exporter.getFinishedSpans()).toEqual([]);
    });
  });

  it('marks a failed statement with its SQLSTATE', async () => {
    await tracer.startActiveSpan('request', async (request) => {
      await expect(handles.postgres!.db.execute(sql`select * from no_such_table`)).rejects.toThrow();
      request.end();
    });
    const failed = exporter.getFinishedSpans().find((s) => s.name === 'SELECT no_such_table')!;
    expect(failed.status.code).toBe(2);
    expect(failed.attributes['error.type']).toBe('42P01');
  });
});

describe(describeStatement.name, () => {
  it('names a statement after its operation and first table', () => {
    expect(describeStatement('select "id" from "verifications" where "id" = $1')).toEqual({ name: 'SELECT verifications', operation: 'SELECT', collection: 'verifications' });
    expect(describeStatement('insert into "audit_events" ("seq") values ($1)').name).toBe('INSERT audit_events');
    expect(describeStatement('update "verifications" set "status" = $1').name).toBe('UPDATE verifications');
    expect(describeStatement('select pg_advisory_xact_lock($1)')).toEqual({ name: 'SELECT', operation: 'SELECT', collection: undefined });
  });
});
