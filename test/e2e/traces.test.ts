import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/providers/sandbox/sandbox.server.js';
import { CONSENT_VERSION, START, TEST_AUDIT_CHAIN_KEY, TEST_INDEX_KEY, TEST_JWT_SECRET, TEST_MASTER_KEY, tokenFor } from '../support/app.js';
import { createTestDatabase, TEST_REDIS_URL } from '../support/database.js';
import { root } from '../support/dist.js';
import { validIdNumber } from '../support/id-numbers.js';
import { freePort, waitUntil } from '../faults/support/ports.js';
import { spawnService } from '../faults/support/service-process.js';

/** OTLP/HTTP JSON, as @opentelemetry/exporter-trace-otlp-http sends it. */
interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
  doubleValue?: number;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: { key: string; value: OtlpValue }[];
}
interface OtlpExport {
  resourceSpans: { resource: { attributes: { key: string; value: OtlpValue }[] }; scopeSpans: { scope: { name: string }; spans: OtlpSpan[] }[] }[];
}
interface Span {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  scope: string;
  attributes: Record<string, string | number | boolean | undefined>;
}
const SERVER = 2;

/** A collector in the test: takes every POST to /v1/traces and keeps the body, raw and decoded. */
async function startReceiver() {
  const bodies: string[] = [];
  const paths: string[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      paths.push(`${req.method} ${req.url} ${req.headers['content-type']}`);
      bodies.push(body);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const spans = (): Span[] =>
    bodies.flatMap((body) =>
      (JSON.parse(body) as OtlpExport).resourceSpans.flatMap((resource) =>
        resource.scopeSpans.flatMap((scope) =>
          scope.spans.map((span) => ({
            traceId: span.traceId,
            spanId: span.spanId,
            parentSpanId: span.parentSpanId || undefined,
            name: span.name,
            kind: span.kind,
            scope: scope.scope.name,
            attributes: Object.fromEntries((span.attributes ?? []).map(({ key, value }) => [key, value.stringValue ?? (value.intValue === undefined ? undefined : Number(value.intValue)) ?? value.boolValue ?? value.doubleValue])),
          })),
        ),
      ),
    );
  const resources = () => bodies.flatMap((body) => (JSON.parse(body) as OtlpExport).resourceSpans.map((r) => Object.fromEntries(r.resource.attributes.map(({ key, value }) => [key, value.stringValue]))));
  return { url, bodies, paths, spans, resources, close: () => new Promise((resolve) => server.close(resolve)) };
}

const VERIFICATION = `query($id: ID!) { verification(id: $id) { status } }`;
const RECORD_IMPORTS = `--import=${root}test/support/record-otel-imports.ts`;

describe('OpenTelemetry traces of the compiled service', () => {
  let database: { url: string; drop(): Promise<void> };
  let sandbox: Sandbox;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let env: Record<string, string>;

  beforeAll(async () => {
    database = await createTestDatabase();
    sandbox = await startSandbox({ port: 0, host: '127.0.0.1', accessKeyId: 'sandbox-access-key-id', accessKeySecret: 'sandbox-access-key-secret', allowHttpCallbacks: true });
    receiver = await startReceiver();
    env = {
      DATABASE_URL: database.url,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: `test:${randomBytes(4).toString('hex')}:`,
      AUTH_JWT_SECRET: TEST_JWT_SECRET,
      REALNAME_MASTER_KEY: TEST_MASTER_KEY,
      REALNAME_INDEX_KEY: TEST_INDEX_KEY,
      AUDIT_CHAIN_KEY: TEST_AUDIT_CHAIN_KEY,
      SANDBOX_URL: sandbox.url,
      RECONCILE_INTERVAL_SECONDS: '3600',
      NODE_OPTIONS: RECORD_IMPORTS,
    };
  });

  afterAll(async () => {
    await receiver?.close();
    await sandbox?.close();
    await database?.drop();
  });

  const graphql = async (url: string, token: string, query: string, variables: Record<string, unknown>) => {
    const res = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { data: Record<string, any> }).data;
  };

  it('exports HTTP, GraphQL, PostgreSQL, Redis and provider spans of a verification, the callback in one trace, and nothing personal', async () => {
    const port = await freePort();
    const service = await spawnService(port, { ...env, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: 'realname-traced' });
    const token = await tokenFor('traced-user');
    const name = '钱七';
    const idCardNumber = validIdNumber('19851120', '310101');
    let verificationId: string;
    try {
      const started = (await graphql(service.url, token, START, { input: { realName: name, idCardNumber, consentVersion: CONSENT_VERSION, biometricConsent: true } })).startVerification;
      expect(started.status).toBe('PENDING');
      verificationId = started.id;
      expect(await sandbox.complete(started.certifyId, 'pass')).toBe('done');
      await waitUntil('the verification to be VERIFIED', async () => (await graphql(service.url, token, VERIFICATION, { id: verificationId })).verification.status === 'VERIFIED');
    } finally {
      // SIGTERM: the batch still buffered goes out before the process exits.
      await service.stop();
    }
    expect(service.child.exitCode).toBe(0);
    expect(service.output()).toContain('otel module loaded: /@opentelemetry/sdk-trace/');
    expect(receiver.paths.every((p) => p === 'POST /v1/traces application/json')).toBe(true);
    expect(receiver.resources().every((r) => r['service.name'] === 'realname-traced')).toBe(true);

    const spans = receiver.spans();
    const callback = sandbox.callbacks.find((c) => c.ok)!;
    const callbackToken = new URL(callback.url).searchParams.get('callbackToken')!;
    expect(callbackToken.length).toBeGreaterThan(10);

    // Each kind arrives.
    const graphqlRequest = spans.find((s) => s.kind === SERVER && s.attributes['http.route'] === '/graphql');
    expect(graphqlRequest).toMatchObject({ name: 'POST /graphql', attributes: { 'http.request.method': 'POST', 'http.response.status_code': 200, 'url.path': '/graphql' } });
    const mutation = spans.find((s) => s.attributes['graphql.operation.type'] === 'mutation');
    expect(mutation?.traceId).toBe(graphqlRequest!.traceId);
    expect(mutation!.attributes['graphql.source']).toContain('startVerification(input: $input)');
    const init = spans.find((s) => s.name === 'InitFaceVerify')!;
    expect(init.attributes).toMatchObject({ 'realname.provider.action': 'InitFaceVerify', 'realname.provider.outcome': 'ok', 'realname.provider.mode': 'SANDBOX', 'realname.verification_id': verificationId });
    expect(spans.some((s) => s.name === 'Id2MetaVerify' && s.traceId === init.traceId)).toBe(true);
    const insert = spans.find((s) => s.attributes['db.system.name'] === 'postgresql' && s.attributes['db.operation.name'] === 'INSERT' && s.attributes['db.collection.name'] === 'verifications');
    expect(insert?.traceId).toBe(graphqlRequest!.traceId);
    expect(insert!.attributes['db.query.text']).toMatch(/^insert into "verifications" .*\$1/);
    const redis = spans.filter((s) => s.attributes['db.system.name'] === 'redis');
    expect(redis.length).toBeGreaterThan(0);
    expect(redis.every((s) => s.attributes['db.query.text'] === s.attributes['db.operation.name'] || s.attributes['db.query.text'] === String(s.attributes['db.operation.name']).split(' ').at(-1))).toBe(true);

    // The callback: its request, the DescribeFaceVerify it made and the row it moved, under one trace.
    const callbackRequest = spans.find((s) => s.kind === SERVER && s.attributes['url.path'] === '/callbacks/aliyun')!;
    expect(callbackRequest).toMatchObject({ name: 'GET /callbacks/aliyun', attributes: { 'http.route': '/callbacks/aliyun', 'http.response.status_code': 200, 'realname.verification_id': verificationId } });
    const inCallback = spans.filter((s) => s.traceId === callbackRequest.traceId);
    const describeCall = inCallback.find((s) => s.name === 'DescribeFaceVerify');
    expect(describeCall?.attributes['realname.provider.outcome']).toBe('ok');
    expect(inCallback.some((s) => s.kind === 3 && s.scope.startsWith('@opentelemetry/instrumentation-http') && s.parentSpanId === describeCall!.spanId)).toBe(true);
    const move = inCallback.find((s) => s.attributes['db.operation.name'] === 'UPDATE' && s.attributes['db.collection.name'] === 'verifications');
    expect(move?.attributes['db.query.text']).toMatch(/^update "verifications" set .*\$1/);
    expect(inCallback.some((s) => s.name === 'transaction')).toBe(true);

    // Nothing personal or secret in anything exported: not the name, the number (nor its 15-digit
    // form), the callback token, the certifyId query, nor any part of the bearer token.
    const everything = receiver.bodies.join('\n');
    for (const secret of [name, JSON.stringify(name).slice(1, -1), idCardNumber, idCardNumber.slice(0, 6) + idCardNumber.slice(8, 17), callbackToken, encodeURIComponent(callbackToken), ...token.split('.'), 'callbackToken', 'certifyId=', 'authorization', 'Bearer']) {
      expect(everything).not.toContain(secret);
    }
    expect(spans.flatMap((s) => Object.keys(s.attributes)).filter((key) => /user_agent|client\.address|peer|header|url\.query|variables/.test(key))).toEqual([]);
  }, 120_000);

  it('loads nothing of the SDK and sends nothing without OTEL_EXPORTER_OTLP_ENDPOINT', async () => {
    const before = receiver.bodies.length;
    const service = await spawnService(await freePort(), env);
    try {
      const token = await tokenFor('untraced-user');
      const started = (await graphql(service.url, token, START, { input: { realName: '孙八', idCardNumber: validIdNumber(), consentVersion: CONSENT_VERSION, biometricConsent: true } })).startVerification;
      expect(started.status).toBe('PENDING');
    } finally {
      await service.stop();
    }
    expect(service.child.exitCode).toBe(0);
    expect(receiver.bodies.length).toBe(before);
    expect(service.output()).not.toContain('otel module loaded');
  }, 60_000);
});
